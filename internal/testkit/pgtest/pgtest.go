// Package pgtest is what questgate's tests need of a PostgreSQL server:
// the server to use (QUESTGATE_TEST_POSTGRES_URL, or a skip saying how to
// set it), a schema of their own on it, so parallel tests and packages
// never see each other's tables, and a proxy that can cut the database
// away and bring it back. Only tests import it.
package pgtest

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable holding the PostgreSQL server the tests may use,
// such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable. .ci/run
// sets it; without it, PostgreSQL tests skip.
const Env = "QUESTGATE_TEST_POSTGRES_URL"

// URL returns the server named by Env, or skips the test saying so.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skipf("PostgreSQL test skipped: set %s to run it", Env)
	}
	return base
}

// Schema creates a schema of its own for the test on the server named by
// Env (skipping the test without it), dropped when the test ends, and
// returns the server's URL with search_path set to it.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	schema := "qg_test_" + strings.ToLower(rand.Text())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Proxy forwards TCP connections to a server until stopped, which cuts
// every connection, as a database restart or a network failure would.
type Proxy struct {
	t      testing.TB
	target string
	mu     sync.Mutex
	addr   string
	ln     net.Listener
	conns  []net.Conn
}

// NewProxy starts a proxy to target on a free port of 127.0.0.1, stopped
// when the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	p := &Proxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// Via returns databaseURL with its host replaced by a new proxy's address:
// the database, as seen through a connection the test can cut.
func Via(t testing.TB, databaseURL string) (string, *Proxy) {
	t.Helper()
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// Addr is where the proxy listens; it stays the same across Stop and Start.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// Start listens (again) and forwards what arrives.
func (p *Proxy) Start() {
	var ln net.Listener
	var err error
	for range 50 { // the port of a closed listener may take a moment to free
		if ln, err = net.Listen("tcp", p.Addr()); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// Stop closes the listener and cuts every connection.
func (p *Proxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
