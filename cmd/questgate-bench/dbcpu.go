package main

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// processTimes is the CPU time each process of a kind has used so far,
// by PID.
type processTimes map[int]time.Duration

// postgresTimes reads the CPU time of every PostgreSQL process on this
// machine (those whose command name is postgres: the backends, the WAL
// writer, the checkpointer, autovacuum). A PostgreSQL HACK's cost is as
// much the database's as the server's, and on the bench's machine both
// share the same cores: what separates PostgreSQL's rates from SQLite's
// (issue 19) is read from it. It finds none when the database runs
// elsewhere, or outside Linux.
func postgresTimes() processTimes {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := processTimes{}
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile
		}
		if name, d, ok := parseStat(b); ok && name == "postgres" {
			out[pid] = d
		}
	}
	return out
}

// since is the CPU time the processes of end used after start was read:
// a process started meanwhile counts in full, one ended meanwhile is lost
// (PostgreSQL's backends are the server's pooled connections, which
// outlive a scenario; an autovacuum worker may not).
func (end processTimes) since(start processTimes) time.Duration {
	var sum time.Duration
	for pid, d := range end {
		if s, ok := start[pid]; ok && s <= d {
			d -= s
		}
		sum += d
	}
	return sum
}

// parseStat reads the command name and the user and system CPU time
// (utime and stime, in clock ticks of 1/100 s on Linux) of a
// /proc/PID/stat.
func parseStat(b []byte) (name string, cpu time.Duration, ok bool) {
	// The command name, in parentheses, may hold spaces and parentheses:
	// it ends at the last ')'. utime and stime are fields 14 and 15.
	i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if i < 0 || j < i {
		return "", 0, false
	}
	f := bytes.Fields(b[j+1:])
	if len(f) < 13 {
		return "", 0, false
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return "", 0, false
		}
		ticks += n
	}
	return string(b[i+1 : j]), time.Duration(ticks) * 10 * time.Millisecond, true
}
