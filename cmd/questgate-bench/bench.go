package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// config is the command line. The defaults are issue 7's scenarios.
type config struct {
	scenarios         []string
	players           int
	latency           time.Duration
	capacity          int
	concurrency       int
	duration          time.Duration
	storm             int
	inFlight          int
	memoryLatency     time.Duration
	setupConcurrency  int
	attemptsPerMinute int
	questgate         string
	keep              bool
}

var allScenarios = []string{"burst", "capacity", "repeats", "storm", "memory"}

func parseConfig(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("questgate-bench", flag.ContinueOnError)
	fs.SetOutput(out)
	scenarios := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios to run, in this order")
	fs.IntVar(&c.players, "players", 500, "burst: players pressing HACK at the same instant, each with its own account and fresh SID")
	fs.DurationVar(&c.latency, "latency", 200*time.Millisecond, "burst and storm: upstream latency")
	fs.IntVar(&c.capacity, "capacity", 6000, "capacity: fresh verifications to run (one new player each), upstream latency 0")
	fs.IntVar(&c.concurrency, "concurrency", 64, "capacity and repeats: requests kept in flight (closed loops)")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "repeats: how long to resubmit already-awarded SIDs")
	fs.IntVar(&c.storm, "storm", 100, "storm: concurrent submissions of one SID by one player")
	fs.IntVar(&c.inFlight, "in-flight", 1000, "memory: verifications in flight at once")
	fs.DurationVar(&c.memoryLatency, "memory-latency", 2*time.Second, "memory: upstream latency, which keeps the verifications in flight")
	fs.IntVar(&c.setupConcurrency, "setup-concurrency", 32, "concurrency of the unmeasured setup (accounts, sessions, credentials)")
	fs.IntVar(&c.attemptsPerMinute, "attempts-per-minute", 10,
		"the server's failure budget (serve --attempts-per-minute; 10 is its default, 0 turns it off)")
	fs.StringVar(&c.questgate, "questgate", "", "questgate binary to run (default: build ./cmd/questgate)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary folder (databases, server log)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for s := range strings.SplitSeq(*scenarios, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return c, fmt.Errorf("-scenarios: unknown scenario %q, want some of %s", s, strings.Join(allScenarios, ","))
		}
		c.scenarios = append(c.scenarios, s)
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"-players", c.players}, {"-capacity", c.capacity}, {"-concurrency", c.concurrency}, {"-storm", c.storm},
		{"-in-flight", c.inFlight}, {"-setup-concurrency", c.setupConcurrency}} {
		if n.v < 1 {
			return c, fmt.Errorf("%s %d: give at least 1", n.name, n.v)
		}
	}
	if c.latency < 0 || c.memoryLatency < 0 || c.duration <= 0 {
		return c, errors.New("-latency and -memory-latency must not be negative, -duration must be positive")
	}
	return c, nil
}

// bench is one run: the upstream, the server, and the clients.
type bench struct {
	cfg    config
	up     *upstream
	srv    *server
	direct *direct
	rt     http.RoundTripper // players' connections to the server
	out    io.Writer
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseConfig(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed
	}
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "questgate-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintf(stdout, "keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := cfg.questgate
	if bin == "" {
		if bin, err = buildQuestgate(ctx, dir); err != nil {
			return err
		}
	}
	up, err := startUpstream(ctx, dir)
	if err != nil {
		return err
	}
	defer up.close()
	args = serverArgs(dir, up.base, cfg.attemptsPerMinute)
	srv, err := startServer(ctx, bin, dir, args)
	if err != nil {
		return err
	}
	conns := max(cfg.players, cfg.concurrency, cfg.storm, cfg.inFlight)
	d, err := newDirect(up.base, conns)
	if err != nil {
		return errors.Join(err, srv.stop())
	}
	b := &bench{cfg: cfg, up: up, srv: srv, direct: d, rt: newTransport(conns), out: stdout}

	fmt.Fprintf(stdout, "questgate load benchmark: %s %s/%s, %d CPUs (GOMAXPROCS %d)\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "load average before: %s (other work on the machine skews the rates; the server's CPU per request holds)\n", loadAverage())
	fmt.Fprintf(stdout, "server: questgate %s\n", strings.Join(redactDir(args, dir), " "))
	fmt.Fprintf(stdout, "upstream: questgate's sandbox in the bench process, over HTTP on loopback; "+
		"direct: twilio-go FetchMessage of the same SIDs at the same concurrency\n\n")
	scenarios := map[string]func(context.Context) (*table, error){
		"burst": b.burst, "capacity": b.capacity, "repeats": b.repeats, "storm": b.storm, "memory": b.memory,
	}
	for _, name := range cfg.scenarios {
		t, err := scenarios[name](ctx)
		if err != nil {
			return errors.Join(fmt.Errorf("%s: %w", name, err), srv.stop())
		}
		t.print(stdout)
		if err := ctx.Err(); err != nil {
			return errors.Join(err, srv.stop())
		}
	}
	fmt.Fprintf(stdout, "load average after: %s\n", loadAverage())
	return srv.stop()
}

// loadAverage is the machine's 1, 5 and 15 minute load averages (Linux),
// printed so that a run on a busy machine says so.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// redactDir shows the temporary folder as TMP, so the printed command
// reads the same on every run.
func redactDir(args []string, dir string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, dir, "TMP")
	}
	return out
}

// setup makes n players ready to press HACK, with the upstream answering
// at once: setup is not what a scenario measures.
func (b *bench) setup(ctx context.Context, n int) ([]*player, error) {
	b.up.setLatency(0)
	return setupPlayers(ctx, n, b.cfg.setupConcurrency, b.up, b.srv.url, b.rt)
}

// measure runs phase and returns the CPU time it took the server, and
// the bench process (players and upstream). A failed reading is reported
// as zero: the load is what matters.
func (b *bench) measure(phase func() measured) (measured, cpuUse) {
	srv0, _ := b.srv.cpu()
	own0, _ := cpuTime(os.Getpid())
	m := phase()
	srv1, _ := b.srv.cpu()
	own1, _ := cpuTime(os.Getpid())
	return m, cpuUse{server: srv1 - srv0, bench: own1 - own0}
}

// cpuUse is the CPU time a phase cost each process.
type cpuUse struct{ server, bench time.Duration }

// cpuRows are the CPU time per answered request of the server, and of
// the bench process (the players' side and the upstream's).
func (t *table) cpuRows(dcpu cpuUse, dm measured, qcpu cpuUse, qm measured) {
	per := func(d time.Duration, m measured) string {
		if len(m.results) == 0 || d <= 0 {
			return ""
		}
		return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000/float64(len(m.results)))
	}
	t.add("server CPU per request", "", per(qcpu.server, qm), "", "", "")
	t.add("bench CPU per request", per(dcpu.bench, dm), per(qcpu.bench, qm), "", "", "")
}

// want has p press HACK with sid, and fails unless the answer is reason.
func want(ctx context.Context, reason string, p *player, sid string) error {
	got, err := p.hack(ctx, sid)
	if err != nil {
		return err
	}
	if got != reason {
		return fmt.Errorf("HACK answered %s, want %s", got, reason)
	}
	return nil
}

// burst: every player presses HACK at the same instant.
func (b *bench) burst(ctx context.Context) (*table, error) {
	ps, err := b.setup(ctx, b.cfg.players)
	if err != nil {
		return nil, err
	}
	b.up.setLatency(b.cfg.latency)
	defer b.up.setLatency(0)
	f0 := b.up.fetches.Load()
	dm, dcpu := b.measure(func() measured {
		return burst(len(ps), func(i int) error { return b.direct.fetch(ps[i].account, ps[i].sid) })
	})
	f1 := b.up.fetches.Load()
	qm, cpu := b.measure(func() measured {
		return burst(len(ps), func(i int) error { return want(ctx, "awarded", ps[i], ps[i].sid) })
	})
	f2 := b.up.fetches.Load()
	ds, qs := dm.stats(), qm.stats()
	t := &table{title: fmt.Sprintf("burst: %d players press HACK at once, each with its own account and a fresh SID; upstream latency %s",
		len(ps), b.cfg.latency)}
	t.latencyRows(ds, qs, 1.05, 1.25)
	t.add("errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "0", verdictMax(float64(qs.errors), 0))
	t.add("upstream fetches", fmt.Sprint(f1-f0), fmt.Sprint(f2-f1), "", "", "")
	t.add("wall time", ms(dm.wall), ms(qm.wall), ratio(qm.wall.Seconds(), dm.wall.Seconds()), "", "")
	t.cpuRows(dcpu, dm, cpu, qm)
	t.errorNote(ds, qs)
	return t, nil
}

// capacity: fresh verifications in closed loops, with an upstream that
// answers at once, so questgate's own cost is what limits.
func (b *bench) capacity(ctx context.Context) (*table, error) {
	ps, err := b.setup(ctx, b.cfg.capacity)
	if err != nil {
		return nil, err
	}
	f0 := b.up.fetches.Load()
	dm, dcpu := b.measure(func() measured {
		return pool(len(ps), b.cfg.concurrency, func(i int) error { return b.direct.fetch(ps[i].account, ps[i].sid) })
	})
	f1 := b.up.fetches.Load()
	qm, cpu := b.measure(func() measured {
		return pool(len(ps), b.cfg.concurrency, func(i int) error { return want(ctx, "awarded", ps[i], ps[i].sid) })
	})
	f2 := b.up.fetches.Load()
	ds, qs := dm.stats(), qm.stats()
	t := &table{title: fmt.Sprintf("capacity: %d fresh verifications (fetch + award), %d in flight; upstream latency 0",
		len(ps), b.cfg.concurrency)}
	t.add("verifications/s", perSecond(ds), perSecond(qs), ratio(qs.perSecond, ds.perSecond), "≥ 2000/s", verdictMin(qs.perSecond, 2000))
	t.add("p50 latency", ms(ds.p50), ms(qs.p50), ratio(qs.p50.Seconds(), ds.p50.Seconds()), "", "")
	t.add("p99 latency", ms(ds.p99), ms(qs.p99), ratio(qs.p99.Seconds(), ds.p99.Seconds()), "", "")
	t.add("errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "", "")
	t.add("upstream fetches", fmt.Sprint(f1-f0), fmt.Sprint(f2-f1), "", "", "")
	t.cpuRows(dcpu, dm, cpu, qm)
	t.errorNote(ds, qs)
	return t, nil
}

// repeats: players resubmit the SID that already won them the objective.
func (b *bench) repeats(ctx context.Context) (*table, error) {
	ps, err := b.setup(ctx, b.cfg.concurrency)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if err := want(ctx, "awarded", p, p.sid); err != nil {
			return nil, fmt.Errorf("first award: %w", err)
		}
	}
	f0 := b.up.fetches.Load()
	dm, dcpu := b.measure(func() measured {
		return loop(b.cfg.duration, len(ps), func(w int) error { return b.direct.fetch(ps[w].account, ps[w].sid) })
	})
	f1 := b.up.fetches.Load()
	qm, cpu := b.measure(func() measured {
		return loop(b.cfg.duration, len(ps), func(w int) error { return want(ctx, "already_awarded", ps[w], ps[w].sid) })
	})
	f2 := b.up.fetches.Load()
	ds, qs := dm.stats(), qm.stats()
	t := &table{title: fmt.Sprintf("repeats: %d players resubmit their awarded SID for %s, %d in flight; upstream latency 0",
		len(ps), b.cfg.duration, len(ps))}
	t.add("answers/s", perSecond(ds), perSecond(qs), ratio(qs.perSecond, ds.perSecond), "≥ 10000/s", verdictMin(qs.perSecond, 10000))
	t.add("p50 latency", ms(ds.p50), ms(qs.p50), ratio(qs.p50.Seconds(), ds.p50.Seconds()), "", "")
	t.add("p99 latency", ms(ds.p99), ms(qs.p99), ratio(qs.p99.Seconds(), ds.p99.Seconds()), "", "")
	t.add("errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "", "")
	t.add("upstream fetches", fmt.Sprint(f1-f0), fmt.Sprint(f2-f1), "", "0", verdictMax(float64(f2-f1), 0))
	t.cpuRows(dcpu, dm, cpu, qm)
	t.errorNote(ds, qs)
	return t, nil
}

// storm: one player submits one SID many times at once (a script, or a
// very impatient finger).
func (b *bench) storm(ctx context.Context) (*table, error) {
	ps, err := b.setup(ctx, 1)
	if err != nil {
		return nil, err
	}
	p := ps[0]
	b.up.setLatency(b.cfg.latency)
	defer b.up.setLatency(0)
	f0 := b.up.fetches.Load()
	dm := burst(b.cfg.storm, func(int) error { return b.direct.fetch(p.account, p.sid) })
	f1 := b.up.fetches.Load()
	reasons := make([]string, b.cfg.storm)
	qm := burst(b.cfg.storm, func(i int) error {
		var err error
		reasons[i], err = p.hack(ctx, p.sid)
		return err
	})
	f2 := b.up.fetches.Load()
	awards, err := b.srv.awardsOf(ctx, p.sid)
	if err != nil {
		return nil, err
	}
	ds, qs := dm.stats(), qm.stats()
	t := &table{title: fmt.Sprintf("storm: one player submits one fresh SID %d times at once; upstream latency %s",
		b.cfg.storm, b.cfg.latency)}
	t.add("upstream fetches", fmt.Sprint(f1-f0), fmt.Sprint(f2-f1), "", "1", verdictMax(float64(f2-f1), 1))
	t.add("awards in the database", "", fmt.Sprint(awards), "", "1", verdictEqual(awards, 1))
	t.add("p50 latency", ms(ds.p50), ms(qs.p50), ratio(qs.p50.Seconds(), ds.p50.Seconds()), "", "")
	t.add("p99 latency", ms(ds.p99), ms(qs.p99), ratio(qs.p99.Seconds(), ds.p99.Seconds()), "", "")
	t.add("HTTP errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "", "")
	t.notes = append(t.notes, "answers: "+countReasons(reasons))
	t.errorNote(ds, qs)
	return t, nil
}

// memory: many verifications wait for a slow upstream at once.
func (b *bench) memory(ctx context.Context) (*table, error) {
	ps, err := b.setup(ctx, b.cfg.inFlight)
	if err != nil {
		return nil, err
	}
	b.up.setLatency(b.cfg.memoryLatency)
	defer b.up.setLatency(0)
	b.up.maxInFlight.Store(0)
	dm, dcpu := b.measure(func() measured {
		return burst(len(ps), func(i int) error { return b.direct.fetch(ps[i].account, ps[i].sid) })
	})
	directInFlight := b.up.maxInFlight.Swap(0)
	runtime.GC() // the bench's own garbage is not the server's, but keep the machine calm
	before, _, err := b.srv.memory()
	if err != nil {
		return nil, err
	}
	resetNote := ""
	if err := b.srv.resetPeak(); err != nil {
		resetNote = fmt.Sprintf("could not reset the peak (%v): it covers the whole run", err)
	}
	qm, cpu := b.measure(func() measured {
		return burst(len(ps), func(i int) error { return want(ctx, "awarded", ps[i], ps[i].sid) })
	})
	_, peak, err := b.srv.memory()
	if err != nil {
		return nil, err
	}
	ds, qs := dm.stats(), qm.stats()
	t := &table{title: fmt.Sprintf("memory: %d verifications in flight at once; upstream latency %s", len(ps), b.cfg.memoryLatency)}
	const limit = 150 << 20
	t.add("server peak RSS", "", mib(peak), "", "≤ 150 MiB", verdictMax(float64(peak), limit))
	t.add("server RSS before", "", mib(before), "", "", "")
	t.add("max upstream requests in flight", fmt.Sprint(directInFlight), fmt.Sprint(b.up.maxInFlight.Load()), "", "", "")
	t.add("p50 latency", ms(ds.p50), ms(qs.p50), ratio(qs.p50.Seconds(), ds.p50.Seconds()), "", "")
	t.add("p99 latency", ms(ds.p99), ms(qs.p99), ratio(qs.p99.Seconds(), ds.p99.Seconds()), "", "")
	t.add("errors", fmt.Sprint(ds.errors), fmt.Sprint(qs.errors), "", "", "")
	t.cpuRows(dcpu, dm, cpu, qm)
	if resetNote != "" {
		t.notes = append(t.notes, resetNote)
	}
	t.errorNote(ds, qs)
	return t, nil
}

func countReasons(reasons []string) string {
	counts := map[string]int{}
	for _, r := range reasons {
		if r == "" {
			r = "no answer"
		}
		counts[r]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(parts, ", ")
}
