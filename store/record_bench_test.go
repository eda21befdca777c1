package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// processCPU is the process's user and system CPU time so far.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the CPU time every process on the machine has spent so
// far (the cpu line of /proc/stat, less idle and iowait, Linux only), and
// false where it cannot be read. On PostgreSQL it is how the database's
// own share of an attempt is seen: its backends are other processes, and
// they end before the benchmark could read their times one by one.
func machineCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for i, v := range f[1:8] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true // USER_HZ is 100 on Linux
}

// BenchmarkRecordAttempts measures what recording attempts costs a busy
// event's store, apart from HTTP, sessions and Twilio: 64 callers at
// once, as many HACKs in flight, record the attempts of players spread
// over a thousand (so the pages they change are spread too), a third of
// them failures and the rest repeats of an award. Besides the time per
// attempt (on SQLite, whose attempts one writer commits in groups, its
// inverse is the most attempts a second the store can take) it reports
// the process's CPU per attempt (cpu-ns/op), to set beside the load
// benchmark's server CPU per request (docs/performance.md). On
// PostgreSQL that CPU is questgate's side alone: the database's own
// processes are not counted, so it also reports the whole machine's CPU
// per attempt (machine-cpu-ns/op), which counts them, and anything else
// the machine runs meanwhile: compare it on a quiet machine only.
func BenchmarkRecordAttempts(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := connectTest(b, be.db(b))
			ctx := context.Background()
			const players = 1000
			ids := make([]string, players)
			won := func(i int) string { return fmt.Sprintf("SM%032x", i) }
			for i := range ids {
				p, err := s.CreatePlayer(ctx)
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = p.ID
				sub := quest.Submission{PlayerID: p.ID, ObjectiveID: "send-sms", RawSID: won(i), SID: won(i)}
				if _, err := s.RecordAttempt(ctx, sub, &quest.Award{XP: 100}); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			b.SetParallelism(32) // 64 callers with GOMAXPROCS 2
			start := processCPU(b)
			machineStart, machineOK := machineCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := next.Add(1)
					i := int(n*7919) % players
					sub := quest.Submission{PlayerID: ids[i], ObjectiveID: "send-sms", Reason: quest.AlreadyAwarded,
						RawSID: won(i), SID: won(i)}
					if n%3 == 0 {
						bad := won(int(n) + 1_000_000)
						sub = quest.Submission{PlayerID: ids[i], ObjectiveID: "send-sms-2", Reason: quest.NotFound, RawSID: bad, SID: bad}
					}
					if _, err := s.RecordAttempt(ctx, sub, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
			if machineEnd, ok := machineCPU(); ok && machineOK {
				b.ReportMetric(float64(machineEnd-machineStart)/float64(b.N), "machine-cpu-ns/op")
			}
		})
	}
}
