package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/questgate/questgate/locale"
)

// Environment variables of the browser tests (not questgate settings).
const (
	// envRequire set to 1 makes a missing Chromium fail the run instead of
	// skipping it: `make test-e2e` and CI set it.
	envRequire = "QUESTGATE_E2E"
	// envChromium names the browser to drive, instead of looking for
	// Debian's /usr/bin/chromium and its usual names in PATH.
	envChromium = "QUESTGATE_E2E_CHROMIUM"
	// envArtifacts is where screenshots and reports go, instead of
	// artifacts/e2e at the repository root.
	envArtifacts = "QUESTGATE_E2E_ARTIFACTS"
)

// suite is what every browser test shares: one questgate server and one
// browser per test binary, each test getting a fresh browser context (its
// own cookies, so its own player).
var suite struct {
	// skip is why the browser tests do not run, or "".
	skip string
	srv  *server
	// bin is the questgate binary under test and data the server's data
	// folder, for running its other commands (instructor add, apikey
	// create) beside it.
	bin, data string
	// browser is the chromedp context owning the browser process.
	browser context.Context
	// artifacts is the folder for screenshots and reports.
	artifacts string
	locales   *locale.Bundle
}

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		// Listing the tests (make fuzz lists every package's) needs no
		// browser, and must not wipe the last run's screenshots.
		return m.Run()
	}
	chromium, err := findChromium()
	if err != nil {
		if os.Getenv(envRequire) == "1" {
			fmt.Fprintf(os.Stderr, "e2e: %v\ne2e: install it with `make deps-e2e` (or point %s at a Chrome or Chromium)\n", err, envChromium)
			return 1
		}
		suite.skip = fmt.Sprintf("browser tests skipped: %v; install it with `make deps-e2e`, then run `make test-e2e`", err)
		fmt.Println("e2e:", suite.skip)
		return m.Run()
	}
	if err := setUp(chromium); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: set-up failed:", err)
		return 1
	}
	code := m.Run()
	if err := tearDown(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// teardown holds what setUp started, in the order to undo it.
var teardown []func() error

func setUp(chromium string) error {
	var err error
	if suite.locales, err = locale.Load(); err != nil {
		return err
	}
	if suite.artifacts, err = artifactsDir(); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "questgate-e2e-")
	if err != nil {
		return err
	}
	teardown = append(teardown, func() error { return os.RemoveAll(tmp) })

	bin, err := buildQuestgate(context.Background(), tmp)
	if err != nil {
		return err
	}
	data := filepath.Join(tmp, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return err
	}
	suite.bin, suite.data = bin, data
	suite.srv, err = startServer(bin, data, filepath.Join(suite.artifacts, "server.log"))
	if err != nil {
		return err
	}
	teardown = append(teardown, suite.srv.Stop)

	profile := filepath.Join(tmp, "chromium-profile")
	browserLog, err := os.Create(filepath.Join(suite.artifacts, "chromium.log"))
	if err != nil {
		return err
	}
	teardown = append(teardown, browserLog.Close)
	ctx, stop, err := startBrowser(chromium, profile, browserLog)
	if err != nil {
		return fmt.Errorf("start %s: %w (its output is in %s)", chromium, err, browserLog.Name())
	}
	suite.browser = ctx
	teardown = append(teardown, func() error { stop(); return nil })
	return nil
}

// tearDown stops the browser, then the server, then removes the temporary
// files; it reports every problem, not only the first.
func tearDown() error {
	var errs []error
	for i := len(teardown) - 1; i >= 0; i-- {
		errs = append(errs, teardown[i]())
	}
	return errors.Join(errs...)
}

// findChromium returns the browser to drive: $QUESTGATE_E2E_CHROMIUM,
// Debian's /usr/bin/chromium, or a Chromium or Chrome in PATH.
func findChromium() (string, error) {
	if p := os.Getenv(envChromium); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", envChromium, p, err)
		}
		return p, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("Chromium not found (looked for /usr/bin/chromium, chromium, chromium-browser and google-chrome in PATH)")
}

// artifactsDir returns the folder for this run's screenshots and reports,
// emptied so that nothing stale misleads a reviewer.
func artifactsDir() (string, error) {
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		// go test runs in the package folder; artifacts/ is at the root,
		// ignored by git.
		dir = filepath.Join("..", "artifacts", "e2e")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return dir, os.MkdirAll(dir, 0o755)
}
