package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the server's database on PostgreSQL, for setup and checks
)

// backend is where one set of scenarios runs: a fresh database (a SQLite
// file in its own folder, or a PostgreSQL schema of its own, dropped
// after) and one or more `questgate serve` on it. Several instances share
// the database and the data folder (so the secret key, hence sealed
// credentials), and the players reach them through a round-robin.
type backend struct {
	label   string // sqlite, postgres, postgres ×2
	bin     string
	dir     string // data folder and logs
	dbURL   string // empty for SQLite: the server's default file in dir/data
	drop    func() error
	args    []string // the serve flags, the same for every instance
	servers []*server
	rr      *roundRobin
}

// sqliteFile is the server's database when dbURL is empty.
func (b *backend) sqliteFile() string { return filepath.Join(b.dir, "data", "questgate.db") }

// newBackend makes a fresh database: SQLite under dir when pgURL is
// empty, else a new schema on pgURL's server (search_path set to it).
func newBackend(ctx context.Context, bin, dir, pgURL, label string) (*backend, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	b := &backend{label: label, bin: bin, dir: dir, drop: func() error { return nil }}
	if pgURL == "" {
		return b, nil
	}
	db, err := sql.Open("pgx", pgURL)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	defer db.Close()
	schema := "qg_bench_" + strings.ToLower(rand.Text()[:12])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, fmt.Errorf("-database-url: create a schema: %w", err)
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		return nil, fmt.Errorf("-database-url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	b.dbURL = u.String()
	b.drop = func() error {
		db, err := sql.Open("pgx", pgURL)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	return b, nil
}

// start starts n instances with the serve flags args (and the database).
func (b *backend) start(ctx context.Context, n int, args []string) error {
	if b.dbURL != "" {
		args = append(args, "--database", b.dbURL)
	}
	b.args = args
	var urls []string
	for i := range n {
		s, err := startServer(ctx, b.bin, b.dir, fmt.Sprintf("questgate-%d.log", i), args)
		if err != nil {
			return errors.Join(err, b.stop())
		}
		b.servers = append(b.servers, s)
		urls = append(urls, s.url)
	}
	rr, err := newRoundRobin(urls)
	if err != nil {
		return errors.Join(err, b.stop())
	}
	b.rr = rr
	return nil
}

// url is where players go: the first instance's address, which the
// round-robin rewrites to each instance in turn.
func (b *backend) url() string { return b.servers[0].url }

// stop stops every instance (not the database: see close).
func (b *backend) stop() error {
	var errs []error
	for _, s := range b.servers {
		errs = append(errs, s.stop())
	}
	b.servers = nil
	return errors.Join(errs...)
}

// close stops the instances and drops the database; calling it again
// does nothing.
func (b *backend) close() error {
	drop := b.drop
	b.drop = func() error { return nil }
	return errors.Join(b.stop(), drop())
}

// allocated is the bytes every instance has allocated.
func (b *backend) allocated(ctx context.Context) (uint64, error) {
	var sum uint64
	for _, s := range b.servers {
		n, err := s.allocated(ctx)
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return sum, nil
}

// cpu is the CPU time every instance has used.
func (b *backend) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, s := range b.servers {
		d, err := s.cpu()
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// memory is the instances' resident set sizes and peaks, summed.
func (b *backend) memory() (rss, peak int64, err error) {
	for _, s := range b.servers {
		r, p, err := s.memory()
		if err != nil {
			return 0, 0, err
		}
		rss, peak = rss+r, peak+p
	}
	return rss, peak, nil
}

// resetPeak starts a new peak measurement on every instance.
func (b *backend) resetPeak() error {
	var errs []error
	for _, s := range b.servers {
		errs = append(errs, s.resetPeak())
	}
	return errors.Join(errs...)
}

// openDB opens the server's database for the bench's own reads and bulk
// writes: the same driver and schema as the server's.
func (b *backend) openDB() (*sql.DB, error) {
	if b.dbURL != "" {
		return sql.Open("pgx", b.dbURL)
	}
	return sql.Open("sqlite", "file:"+b.sqliteFile()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
}

// awardsOf counts the awards the server's database holds for sid: the one
// number a page answer could hide a double award from.
func (b *backend) awardsOf(ctx context.Context, sid string) (int, error) {
	db, err := b.openDB()
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, b.sql(`SELECT COUNT(*) FROM awards WHERE sid = ?`), sid).Scan(&n); err != nil {
		return 0, fmt.Errorf("count awards: %w", err)
	}
	return n, nil
}

// sql writes q's ? placeholders as the database wants them.
func (b *backend) sql(q string) string {
	if b.dbURL == "" {
		return q
	}
	var out strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&out, "$%d", n)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// command runs a questgate command (apikey, instructor…) on the backend's
// database and data folder, and returns what it printed.
func (b *backend) command(ctx context.Context, stdin string, args ...string) (string, error) {
	args = append(args, "--data-dir", filepath.Join(b.dir, "data"))
	if b.dbURL != "" {
		args = append(args, "--database", b.dbURL)
	}
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("questgate %s: %w\n%s", args[0], err, errOut.Bytes())
	}
	return out.String(), nil
}

// roundRobin sends each request to the next instance: what a load
// balancer in front of several instances does. Cookies are per host, not
// per port, so a player's session follows it from one instance to the
// next (sessions live in the shared database).
type roundRobin struct {
	hosts []string
	next  atomic.Uint64
}

func newRoundRobin(urls []string) (*roundRobin, error) {
	rr := &roundRobin{}
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil {
			return nil, err
		}
		rr.hosts = append(rr.hosts, u.Host)
	}
	return rr, nil
}

// wrap is next with every request to the first instance spread over all.
func (rr *roundRobin) wrap(next http.RoundTripper) http.RoundTripper {
	if len(rr.hosts) < 2 {
		return next
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host != rr.hosts[0] {
			return next.RoundTrip(r)
		}
		r = r.Clone(r.Context())
		r.URL.Host = rr.hosts[(rr.next.Add(1)-1)%uint64(len(rr.hosts))]
		return next.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// pgTransport says how the servers reach PostgreSQL at pgURL: through a
// Unix socket (a host that is a folder) or over TCP, and for TCP to this
// machine, that a socket would cost less; "" when pgx cannot read pgURL.
// Every statement of a HACK is a round trip, and on loopback TCP each
// costs the client and the database about twice the CPU a Unix socket
// does (pgbench's SELECT 1 here: 35–40 µs of the machine's CPU against
// 18–20; docs/performance.md), which the PostgreSQL tables would
// otherwise not say.
func pgTransport(pgURL string) string {
	cfg, err := pgconn.ParseConfig(pgURL)
	if err != nil {
		return ""
	}
	if strings.HasPrefix(cfg.Host, "/") {
		return "through the Unix socket in " + cfg.Host
	}
	s := "over TCP to " + net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if ip := net.ParseIP(cfg.Host); cfg.Host == "localhost" || (ip != nil && ip.IsLoopback()) {
		s += " (on this machine a Unix socket costs about half the CPU per round trip: docs/deploy.md)"
	}
	return s
}
