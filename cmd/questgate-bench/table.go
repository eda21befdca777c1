package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// table is one scenario's result: questgate next to the direct baseline,
// with the ratio and the target.
type table struct {
	title string
	// header names the columns; empty is direct, questgate, ratio, target.
	header []string
	rows   [][]string
	notes  []string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// latencyRows adds p50 and p99 with their targets, as ratios to direct.
func (t *table) latencyRows(d, q stats, p50, p99 float64) {
	r50, r99 := q.p50.Seconds()/d.p50.Seconds(), q.p99.Seconds()/d.p99.Seconds()
	t.add("p50 latency", ms(d.p50), ms(q.p50), ratio(q.p50.Seconds(), d.p50.Seconds()),
		fmt.Sprintf("≤ %.2f × direct", p50), verdictMax(r50, p50))
	t.add("p99 latency", ms(d.p99), ms(q.p99), ratio(q.p99.Seconds(), d.p99.Seconds()),
		fmt.Sprintf("≤ %.2f × direct", p99), verdictMax(r99, p99))
	t.add("max latency", ms(d.max), ms(q.max), ratio(q.max.Seconds(), d.max.Seconds()), "", "")
}

// errorNote quotes the first error of each side, so a failed run says why.
func (t *table) errorNote(d, q stats) {
	if d.firstError != nil {
		t.notes = append(t.notes, "first direct error: "+d.firstError.Error())
	}
	if q.firstError != nil {
		t.notes = append(t.notes, "first questgate error: "+q.firstError.Error())
	}
}

func (t *table) print(w io.Writer) {
	fmt.Fprintln(w, t.title)
	header := t.header
	if header == nil {
		header = []string{"", "direct", "questgate", "ratio", "target", ""}
	}
	rows := append([][]string{header}, t.rows...)
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		line.WriteString("  ")
		for i, c := range r {
			line.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
	for _, n := range t.notes {
		fmt.Fprintln(w, "  "+n)
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// kib shows bytes in KiB; empty for an unknown zero.
func kib(b float64) string {
	if b <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f KiB", b/(1<<10))
}

func perSecond(s stats) string { return fmt.Sprintf("%.0f/s", s.perSecond) }

func ratio(q, d float64) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", q/d)
}

// verdictMax judges a value that must stay at most limit.
func verdictMax(v, limit float64) string {
	if v <= limit {
		return "met"
	}
	if limit == 0 {
		return "MISSED"
	}
	return fmt.Sprintf("MISSED by %.0f%%", (v/limit-1)*100)
}

// verdictMin judges a value that must reach at least limit.
func verdictMin(v, limit float64) string {
	if v >= limit {
		return "met"
	}
	return fmt.Sprintf("MISSED by %.0f%%", (1-v/limit)*100)
}

func verdictEqual(v, want int) string {
	if v == want {
		return "met"
	}
	return "MISSED"
}

// summary is every scenario of the run on one line each, CPU per request
// included: the table to compare runs and backends by.
type summary struct{ rows []summaryRow }

// summaryRow is one scenario on one backend.
type summaryRow struct {
	scenario, backend    string
	d, q                 stats
	serverCPU, directCPU float64 // ms per request: the server's, and the direct client's (bench process)
	dbCPU                float64 // ms per request of PostgreSQL's processes on this machine (negative: SQLite, or unknown)
	alloc                float64 // bytes the server allocated per request
}

func (s *summary) add(r summaryRow) { s.rows = append(s.rows, r) }

func (s *summary) table() *table {
	t := &table{title: "summary: questgate against the direct fetch of the same run (ratios are questgate ÷ direct)",
		header: []string{"scenario", "backend", "p50 ×", "p99 ×", "rate", "rate ×", "errors", "server CPU/req", "db CPU/req", "direct CPU/req", "CPU ×",
			"alloc/req", "rate ÷ sqlite"}}
	sqlite := map[string]float64{}
	for _, r := range s.rows {
		if r.backend == "sqlite" {
			sqlite[r.scenario] = r.q.perSecond
		}
	}
	for _, r := range s.rows {
		// PostgreSQL's capacity and repeats are held to half of SQLite's
		// in the same run (issue 19).
		vsSQLite := ""
		if base := sqlite[r.scenario]; r.backend != "sqlite" && base > 0 && (r.scenario == "capacity" || r.scenario == "repeats") {
			vsSQLite = ratio(r.q.perSecond, base) + " " + verdictMin(r.q.perSecond/base, 0.5)
		}
		t.add(r.scenario, r.backend, ratio(r.q.p50.Seconds(), r.d.p50.Seconds()), ratio(r.q.p99.Seconds(), r.d.p99.Seconds()),
			perSecond(r.q), ratio(r.q.perSecond, r.d.perSecond), fmt.Sprint(r.q.errors), cpuMS(r.serverCPU), dbMS(r.dbCPU), cpuMS(r.directCPU),
			ratio(r.serverCPU, r.directCPU), kib(r.alloc), vsSQLite)
	}
	t.notes = append(t.notes, "direct CPU/req is the bench process's CPU per direct fetch: twilio-go's client work and the sandbox answering it",
		"db CPU/req: PostgreSQL's processes on this machine (its backends, WAL writer, checkpointer), which share the cores with the server",
		"alloc/req: the bytes the server allocated per request (go_memstats_alloc_bytes_total of its metrics), which the machine's speed does not move",
		"rate ÷ sqlite: PostgreSQL's rate over SQLite's in this run, for capacity and repeats (target ≥ 0.50)")
	return t
}
