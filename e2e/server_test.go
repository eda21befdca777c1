package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildQuestgate compiles the questgate command into dir, once per test
// binary, with the race detector when the tests run with it, so that a
// data race the browser provokes in the server fails the run.
func buildQuestgate(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "questgate")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/questgate/questgate/cmd/questgate")
	// go test puts its own toolchain first in PATH, so this is the go
	// that is running the tests.
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// server is a running `questgate serve --sandbox`, started as a user
// starts it, on a free port of 127.0.0.1 with its own data folder.
type server struct {
	// URL is where the server says it serves, as printed.
	URL string

	cmd    *exec.Cmd
	log    *os.File
	mu     sync.Mutex
	output strings.Builder
	exited chan error
}

var servingLine = regexp.MustCompile(`serving on (http://\S+)`)

// startServer runs bin with `serve --sandbox` and extra flags, and waits
// until it prints its address and the sandbox help. Its logs (stderr) go
// to logPath, so a failing run can be read afterwards. The environment is
// the test's without QUESTGATE_* variables, so a developer's settings
// cannot change what the tests see.
func startServer(bin, dataDir, logPath string, extra ...string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--sandbox", "--addr", "127.0.0.1:0", "--data-dir", dataDir,
		"--log-format", "text", "--log-level", "info"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv(os.Environ())
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, log: logFile, exited: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			s.mu.Lock()
			s.output.WriteString(sc.Text() + "\n")
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				s.URL = m[1]
			}
			done := s.URL != "" && strings.Contains(s.output.String(), "press HACK")
			s.mu.Unlock()
			if done && !signalled {
				signalled = true
				close(ready)
			}
		}
		s.exited <- cmd.Wait()
	}()
	select {
	case <-ready:
		return s, nil
	case err := <-s.exited:
		logFile.Close()
		return nil, fmt.Errorf("questgate stopped before serving (%v); output:\n%s\nlogs in %s", err, s.Output(), logPath)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		logFile.Close()
		return nil, fmt.Errorf("questgate did not say where it serves within 60s; output:\n%s\nlogs in %s", s.Output(), logPath)
	}
}

// Output is what the server printed on stdout.
func (s *server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.output.String()
}

// Stop asks the server to stop as Ctrl-C does and waits for it: a
// graceful stop exits 0, anything else is an error worth reporting.
func (s *server) Stop() error {
	defer s.log.Close()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-s.exited:
		if err != nil {
			return fmt.Errorf("questgate exited with %w", err)
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("questgate did not stop within 30s of SIGTERM")
	}
}

// cleanEnv drops QUESTGATE_* variables from env.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "QUESTGATE_") {
			out = append(out, kv)
		}
	}
	return out
}

// readAll drains r, for error bodies.
func readAll(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 4<<10))
	return string(b)
}
