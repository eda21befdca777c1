package main

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/questgate/questgate/internal/testkit/pgtest"
)

// TestMain serves the floor when the bench's floor scenario runs the test
// binary as its floor server (startFloor runs its own executable).
func TestMain(m *testing.M) {
	if servedFloor() {
		return
	}
	os.Exit(m.Run())
}

// smokeArgs are every scenario at a handful of players, a short latency
// and a small big event.
var smokeArgs = []string{"-players", "5", "-latency", "10ms", "-capacity", "8", "-concurrency", "3",
	"-duration", "200ms", "-storm", "5", "-in-flight", "5", "-memory-latency", "10ms",
	"-data-players", "50", "-data-attempts", "2000", "-data-cohorts", "3", "-data-requests", "2"}

// TestBenchSmoke runs every scenario with a handful of players and a
// short latency: the harness must set players up, drive the HACK form
// and the JSON API, seed a big event's data, and print its tables. It
// asserts what does not depend on the machine's speed: no errors, every
// verification awarded, one award in the storm, every page answered.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs questgate: skipped with -short")
	}
	t.Parallel()
	checkSmoke(t, runSmoke(t, smokeArgs), "sqlite", allScenarios)
}

// TestBenchSmokePostgres runs burst, capacity, repeats and data on
// PostgreSQL too, with two instances for the first three.
func TestBenchSmokePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs questgate: skipped with -short")
	}
	pg := pgtest.URL(t)
	t.Parallel()
	args := append(slices.Clone(smokeArgs), "-scenarios", "burst,capacity,repeats,data", "-database-url", pg, "-instances", "1,2")
	got := runSmoke(t, args)
	checkSmoke(t, got, "postgres", []string{"burst", "capacity", "repeats", "data"})
	checkSmoke(t, got, "postgres ×2", []string{"burst", "capacity", "repeats"})
	// On this machine's PostgreSQL, its processes' CPU is read too.
	if len(postgresTimes()) > 0 && !regexp.MustCompile(`(?m)^  database CPU per request \(PostgreSQL's processes\) +\d+\.\d{3} ms`).MatchString(got) {
		t.Errorf("no database CPU per request in\n%s", got)
	}
	if strings.Contains(got, "[postgres ×2] data:") {
		t.Errorf("data ran with two instances in\n%s", got)
	}
}

func runSmoke(t *testing.T, args []string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	return out.String()
}

// checkSmoke checks the tables of backend's scenarios in got.
func checkSmoke(t *testing.T, got, backend string, scenarios []string) {
	t.Helper()
	var titles []string
	for _, s := range scenarios {
		if s == "api" {
			titles = append(titles, "api burst:", "api repeats:", "api capacity:")
		} else {
			titles = append(titles, s+":")
		}
	}
	for _, title := range titles {
		if !strings.Contains(got, "\n["+backend+"] "+title) {
			t.Errorf("no [%s] %s table in\n%s", backend, title, got)
		}
	}
	if !strings.Contains(got, "\nsummary:") {
		t.Errorf("no summary in\n%s", got)
	}
	rows := []struct{ name, pattern string }{
		{"every error row says 0", `(?m)^  (HTTP )?errors +[1-9]`},
		{"a first error", `first (questgate|direct) error`},
		{"a page's error", `errors, first:`},
	}
	for _, r := range rows {
		if m := regexp.MustCompile(r.pattern).FindString(got); m != "" {
			t.Errorf("%s: %q in\n%s", r.name, m, got)
		}
	}
	section := got[strings.Index(got, "== "+backend+":"):]
	if !regexp.MustCompile(`(?m)^  server allocated per request +\d+\.\d KiB`).MatchString(section) {
		t.Errorf("no bytes allocated per request in\n%s", got)
	}
	if slices.Contains(scenarios, "storm") {
		for _, p := range []string{`(?m)^  awards in the database +1 +1 +met$`, `answers: 4 already_awarded, 1 awarded`} {
			if !regexp.MustCompile(p).MatchString(section) {
				t.Errorf("storm: no line matching %s in\n%s", p, got)
			}
		}
	}
	if slices.Contains(scenarios, "repeats") {
		if !regexp.MustCompile(`(?m)^  upstream fetches +\d+ +0 +0 +met$`).MatchString(section) {
			t.Errorf("repeats asked Twilio in\n%s", got)
		}
		if !regexp.MustCompile(`(?m)^  answers/s, a bare server \(the floor\) +\d+/s +\d+/s`).MatchString(section) ||
			strings.Contains(section, "first floor error") {
			t.Errorf("repeats: the floor did not answer in\n%s", got)
		}
	}
	if slices.Contains(scenarios, "api") {
		// The burst's five players, then the capacity's eight.
		for _, n := range []string{"5", "8"} {
			if !regexp.MustCompile(`(?m)^  webhooks delivered in the end +` + n + ` +` + n + ` +met$`).MatchString(section) {
				t.Errorf("api: not every award's webhook arrived (%s of them) in\n%s", n, got)
			}
		}
	}
	if slices.Contains(scenarios, "data") {
		for _, p := range []string{`(?m)^  progress page, first page +\d`, `(?m)^  progress page, a search +\d`, `(?m)^  progress page, stuck in a cohort +\d`, `(?m)^  CSV export .* \d{4} rows`, `(?m)^  API submissions list +\d`,
			`(?m)^  record one attempt, 2000 attempts +\d`} {
			if !regexp.MustCompile(p).MatchString(section) {
				t.Errorf("data: no line matching %s in\n%s", p, got)
			}
		}
	}
}

// TestServerArgsServeMetrics: the server serves its metrics on a port of
// its own, for the bytes it allocates, unless -server-flags names one.
func TestServerArgsServeMetrics(t *testing.T) {
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{"none given", nil, "--metrics-addr 127.0.0.1:0"},
		{"a profiler's", []string{"--metrics-addr", "127.0.0.1:6061", "--pprof"}, "--metrics-addr 127.0.0.1:6061 --pprof"},
		{"with an equals sign", []string{"-metrics-addr=127.0.0.1:6061"}, "-metrics-addr=127.0.0.1:6061"},
		{"another flag", []string{"--log-level", "warn"}, "--metrics-addr 127.0.0.1:0 --log-level warn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := strings.Join(serverArgs("/d", "http://up", config{serverFlags: tt.flags}), " ")
			if !strings.HasSuffix(args, " "+tt.want) || strings.Count(args, "metrics-addr") != 1 {
				t.Errorf("serverArgs = %s, want it to end with %s and name one metrics address", args, tt.want)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // part of the error; empty for none
	}{
		{"defaults", nil, ""},
		{"a subset", []string{"-scenarios", "storm, burst"}, ""},
		{"an unknown scenario", []string{"-scenarios", "burst,soak"}, `unknown scenario "soak"`},
		{"no players", []string{"-players", "0"}, "-players 0"},
		{"a negative latency", []string{"-latency", "-1s"}, "must not be negative"},
		{"a stray argument", []string{"burst"}, "unexpected arguments"},
		{"PostgreSQL with two instances", []string{"-database-url", "postgres://db/x", "-instances", "1,2"}, ""},
		{"a SQLite database URL", []string{"-database-url", "sqlite:x.db"}, "give a postgres:// URL"},
		{"no instances", []string{"-instances", "0"}, "-instances"},
		{"an unknown database scenario", []string{"-database-scenarios", "soak"}, `unknown scenario "soak"`},
		{"no data players", []string{"-data-players", "0"}, "-data-players 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, io.Discard)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
