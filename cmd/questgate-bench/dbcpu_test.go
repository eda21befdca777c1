package main

import (
	"testing"
	"time"
)

// TestParseStat reads what /proc/PID/stat says of a process's name and
// CPU time, names with spaces and parentheses included.
func TestParseStat(t *testing.T) {
	tests := []struct {
		name, stat string
		want       string
		cpu        time.Duration
		ok         bool
	}{
		{"a backend", "4242 (postgres) S 1 4242 4242 0 -1 4194560 1190 0 0 0 37 12 0 0 20 0 1 0 4 225062912 5000 18446744073709551615",
			"postgres", 490 * time.Millisecond, true},
		{"a name with spaces and a parenthesis", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 100 200 0 0 20 0 1 0 4 0 0 0",
			"a (b) c", 3 * time.Second, true},
		{"cut short", "7 (postgres) S 1 7", "", 0, false},
		{"no name", "7 postgres S 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", "", 0, false},
		{"not a number", "7 (postgres) S 1 7 7 0 -1 0 0 0 0 0 x 2 0 0", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, cpu, ok := parseStat([]byte(tt.stat))
			if name != tt.want || cpu != tt.cpu || ok != tt.ok {
				t.Errorf("parseStat = %q, %v, %v; want %q, %v, %v", name, cpu, ok, tt.want, tt.cpu, tt.ok)
			}
		})
	}
}

// TestProcessTimesSince counts what each process used between two
// readings: all of one started meanwhile, nothing of one that ended.
func TestProcessTimesSince(t *testing.T) {
	start := processTimes{1: time.Second, 2: 3 * time.Second, 3: time.Second}
	end := processTimes{1: 1500 * time.Millisecond, 2: 3 * time.Second, 4: 200 * time.Millisecond}
	if got, want := end.since(start), 700*time.Millisecond; got != want {
		t.Errorf("since = %v, want %v (500 ms more of 1, none of 2, all of 4, 3 ended)", got, want)
	}
	if got := (processTimes{}).since(start); got != 0 {
		t.Errorf("nothing left: since = %v, want 0", got)
	}
}
