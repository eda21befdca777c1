package main

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestBenchSmoke runs every scenario with a handful of players and a
// short latency: the harness must set players up, drive the HACK form
// and print its tables. It asserts what does not depend on the machine's
// speed: no errors, every verification awarded, one award in the storm.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs questgate: skipped with -short")
	}
	var out bytes.Buffer
	err := run(t.Context(), []string{"-players", "5", "-latency", "10ms", "-capacity", "8", "-concurrency", "3",
		"-duration", "200ms", "-storm", "5", "-in-flight", "5", "-memory-latency", "10ms"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, title := range []string{"burst:", "capacity:", "repeats:", "storm:", "memory:"} {
		if !strings.Contains(got, "\n"+title) {
			t.Errorf("no %s table in\n%s", title, got)
		}
	}
	rows := []struct{ name, pattern string }{
		{"storm award", `(?m)^  awards in the database +1 +1 +met$`},
		{"storm answers", `answers: 4 already_awarded, 1 awarded`},
		{"repeats asked Twilio", `(?m)^  upstream fetches +\d+ +0 +0 +met$`},
	}
	for _, r := range rows {
		if !regexp.MustCompile(r.pattern).MatchString(got) {
			t.Errorf("%s: no line matching %s in\n%s", r.name, r.pattern, got)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^  errors +0 +0( |$)`).FindAllString(got, -1)); n != 4 {
		t.Errorf("%d error rows say 0 and 0, want 4 (burst, capacity, repeats, memory) in\n%s", n, got)
	}
	if strings.Contains(got, "first questgate error") || strings.Contains(got, "first direct error") {
		t.Errorf("errors in\n%s", got)
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
