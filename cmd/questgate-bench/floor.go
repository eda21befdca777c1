package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// floorEnv, set to 1 in a process's environment, makes the bench's
// binary (or its test binary) the floor server instead: see serveFloor.
const floorEnv = "QUESTGATE_BENCH_FLOOR"

// servedFloor serves the floor and reports true when this process was
// started as the floor server (floorEnv), which exits on an error;
// main and the tests' TestMain call it first.
func servedFloor() bool {
	if os.Getenv(floorEnv) != "1" {
		return false
	}
	if err := serveFloor(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "questgate-bench floor:", err)
		os.Exit(1)
	}
	return true
}

// floorPanel is the floor server's one answer: a hack panel of the size
// of questgate's answer to a repeat (5.3 KB, the attempts list
// included), with the reason the players look for.
var floorPanel = `<div id="hack-panel" data-testid="hack-panel"><p data-testid="result-reason" data-reason="already_awarded">` +
	strings.Repeat("Objective already completed. ", 180) + `</p></div>`

// serveFloor is the floor server: a bare net/http server on loopback that
// answers every request with floorPanel, reading the form as questgate
// does, and nothing else (no session, no CSRF, no database, no
// template). It prints its address on stdout and serves until stdin
// closes. Driven with the requests questgate's repeats get, it measures
// what the machine's HTTP stack alone costs a server and the players:
// no server answers below it, which bounds what issue 19 may ask of the
// repeats' rate on this machine.
func serveFloor(stdin io.Reader, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, floorPanel)
	})}
	go func() {
		io.Copy(io.Discard, stdin)
		srv.Close()
	}()
	fmt.Fprintln(stdout, "http://"+ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// floorServer is a running floor server, a process of the bench's own
// binary.
type floorServer struct {
	cmd   *exec.Cmd
	stdin io.Closer
	base  string
}

// startFloor starts the floor server and waits for its address.
func startFloor(ctx context.Context) (*floorServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), floorEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	f := &floorServer{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, errors.Join(fmt.Errorf("floor: no address: %w", err), f.close())
	}
	f.base = strings.TrimSpace(line)
	return f, nil
}

// cpu is the CPU time the floor server has spent.
func (f *floorServer) cpu() (time.Duration, error) { return cpuTime(f.cmd.Process.Pid) }

// close stops the floor server: it exits when its stdin closes.
func (f *floorServer) close() error {
	f.stdin.Close()
	return f.cmd.Wait()
}

// floor sends ps' repeat HACKs, as the repeats scenario sends them to
// questgate, to a floor server for -duration, and returns what it
// measured and the CPU each side spent.
func (b *bench) floor(ctx context.Context, ps []*player) (measured, cpuUse, error) {
	f, err := startFloor(ctx)
	if err != nil {
		return measured{}, cpuUse{}, err
	}
	bare := make([]*player, len(ps))
	for i, p := range ps {
		bare[i] = &player{base: f.base, csrf: p.csrf, sid: p.sid,
			http: &http.Client{Transport: b.transport, Jar: p.http.Jar, CheckRedirect: p.http.CheckRedirect}}
	}
	m, use := measureCPU(f.cpu, func() measured {
		return loop(b.cfg.duration, len(bare), func(w int) error { return want(ctx, "already_awarded", bare[w], bare[w].sid) })
	})
	return m, use, f.close()
}
