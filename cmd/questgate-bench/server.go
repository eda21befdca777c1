package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the server's database, read and seeded by the bench
)

// buildQuestgate builds the questgate binary into dir: the server runs as
// its own process, as in production, so that its CPU and memory are its
// own and not the load generator's.
func buildQuestgate(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "questgate")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/questgate/questgate/cmd/questgate")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build questgate: %w\n%s", err, out.Bytes())
	}
	return bin, nil
}

// server is a running `questgate serve`.
type server struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	exited  chan error
	// metrics is the address of the server's /metrics, as it printed it
	// at start (empty until then, and when it serves none).
	metrics atomic.Pointer[string]
}

// serverArgs are the flags of the server under load. The per-address
// limit is raised to its maximum, not turned off, so its cost is still
// measured: every player of the bench comes from 127.0.0.1. Private
// webhooks are allowed so that the games' webhooks reach the bench's
// receiver on loopback. The metrics are served on a loopback port of
// their own, from which the bench reads how many bytes the server
// allocated (unless -server-flags names that address). -server-flags
// come last.
func serverArgs(dir, upstream string, cfg config) []string {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
		"--twilio-api-url", upstream, "--ip-requests-per-minute", "1000000",
		"--attempts-per-minute", strconv.Itoa(cfg.attemptsPerMinute), "--allow-private-webhooks"}
	if !slices.ContainsFunc(cfg.serverFlags, func(f string) bool {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		return strings.HasPrefix(f, "-") && name == "metrics-addr"
	}) {
		args = append(args, "--metrics-addr", "127.0.0.1:0")
	}
	return append(args, cfg.serverFlags...)
}

func startServer(ctx context.Context, bin, dir, logName string, args []string) (*server, error) {
	logPath := filepath.Join(dir, logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logFile
	// Should the bench die without stopping it (a panic, SIGKILL), the
	// kernel stops the server too rather than leave it listening.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start questgate: %w", err)
	}
	s := &server{cmd: cmd, logPath: logPath, exited: make(chan error, 1)}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, m, ok := strings.Cut(sc.Text(), "metrics are served on "); ok {
				m = strings.TrimSpace(m)
				s.metrics.Store(&m)
			}
			if _, u, ok := strings.Cut(sc.Text(), " is serving on "); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.exited <- cmd.Wait()
	}()
	select {
	case s.url = <-urls:
		return s, nil
	case err := <-s.exited:
		return nil, fmt.Errorf("questgate exited at start: %v\n%s", err, s.logTail())
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("questgate did not start within a minute\n%s", s.logTail())
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

// stop stops the server as an operator would, with SIGTERM.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			return fmt.Errorf("questgate stopped with %v\n%s", err, s.logTail())
		}
		return nil
	case <-time.After(45 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("questgate did not stop within 45s of SIGTERM")
	}
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// memory reads the server's resident set size and its peak (VmRSS and
// VmHWM of /proc/PID/status, Linux only), in bytes.
func (s *server) memory() (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read the server's memory (Linux only): %w", err)
	}
	for line := range strings.Lines(string(b)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse %s: %w", name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, nil
}

// allocated reads the bytes the server has allocated on its heap since
// it started (go_memstats_alloc_bytes_total of its /metrics). Unlike its
// CPU time, that does not change with how fast the machine is this
// hour, so it compares builds across runs. Each reading costs the server
// a few dozen kilobytes, outside the phase it brackets.
func (s *server) allocated(ctx context.Context) (uint64, error) {
	m := s.metrics.Load()
	if m == nil {
		return 0, errors.New("the server printed no metrics address")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *m, nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", *m, res.Status)
	}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_alloc_bytes_total "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return uint64(f), err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("GET %s: no go_memstats_alloc_bytes_total", *m)
}

// cpu reads the CPU time the server has used.
func (s *server) cpu() (time.Duration, error) { return cpuTime(s.cmd.Process.Pid) }

// cpuTime reads the CPU time process pid has used, user and system (utime
// and stime of /proc/PID/stat).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time (Linux only): %w", err)
	}
	_, d, ok := parseStat(b)
	if !ok {
		return 0, errors.New("unexpected /proc/PID/stat")
	}
	return d, nil
}

// resetPeak starts a new peak RSS measurement (clear_refs 5 resets VmHWM
// to the current RSS), so that a scenario's peak is not an earlier one's.
func (s *server) resetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.cmd.Process.Pid), []byte("5"), 0)
}
