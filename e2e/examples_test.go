package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// interpreter runs one language's example: the command, the file the
// example is written to, and the environment it needs.
type interpreter struct {
	lang string // the example's data-testid suffix: "python", "node"
	bin  string
	file string
	env  []string
}

// noTwilioEnv is the environment without questgate's settings nor the
// Twilio libraries' own (TWILIO_EDGE or TWILIO_REGION would send the
// example to another host than the one it prints).
func noTwilioEnv() []string {
	var out []string
	for _, kv := range cleanEnv(os.Environ()) {
		if !strings.HasPrefix(kv, "TWILIO_") {
			out = append(out, kv)
		}
	}
	return out
}

// works reports whether bin, run with env and args, exits 0: an
// interpreter that has the Twilio library.
func works(env []string, bin string, args ...string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	return cmd.Run() == nil
}

// pythonWithTwilio is a Python that imports twilio: $QUESTGATE_E2E_PYTHON,
// python3 on PATH, or Debian's /usr/bin/python3 (apt's python3-twilio,
// which make deps-e2e installs); it skips the test when none does.
func pythonWithTwilio(t *testing.T) interpreter {
	t.Helper()
	env := noTwilioEnv()
	var tried []string
	for _, bin := range []string{os.Getenv("QUESTGATE_E2E_PYTHON"), "python3", "/usr/bin/python3"} {
		if bin == "" {
			continue
		}
		path, err := exec.LookPath(bin)
		if err != nil {
			continue
		}
		tried = append(tried, path)
		if works(env, path, "-c", "import twilio") {
			return interpreter{lang: "python", bin: path, file: "send.py", env: env}
		}
	}
	if len(tried) == 0 {
		t.Skip("no Python on this machine: the Python example is not run (make deps-e2e installs python3-twilio)")
	}
	t.Skipf("no Python here imports twilio (tried %s): the Python example is not run; make deps-e2e installs Debian's python3-twilio",
		strings.Join(tried, ", "))
	return interpreter{}
}

// nodeWithTwilio is Node.js with the twilio package from npm, looked for
// in $QUESTGATE_E2E_NODE_MODULES or .cache/node-twilio/node_modules,
// where make deps-node installs it; it skips the test when either is
// missing.
func nodeWithTwilio(t *testing.T) interpreter {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no Node.js on this machine: the Node.js example is not run (make deps-node installs it)")
	}
	modules := os.Getenv("QUESTGATE_E2E_NODE_MODULES")
	if modules == "" {
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		modules = filepath.Join(root, ".cache", "node-twilio", "node_modules")
	}
	env := append(noTwilioEnv(), "NODE_PATH="+modules)
	if !works(env, bin, "-e", `require("twilio")`) {
		t.Skipf("Node.js finds no twilio package in %s: the Node.js example is not run; make deps-node installs it there", modules)
	}
	return interpreter{lang: "node", bin: bin, file: "send.js", env: env}
}

// runExample runs the objective page's example in in's language exactly
// as printed, and returns the SID it prints.
func (p *tab) runExample(in interpreter, objective string) string {
	p.t.Helper()
	p.open("/objectives/" + objective)
	code := run(p, "read the "+in.lang+" example", chromedp.Evaluate[string](
		`document.querySelector('[data-testid="example-`+in.lang+`"] code').textContent`))
	dir := p.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, in.file), []byte(code), 0o644); err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, in.bin, in.file)
	cmd.Dir, cmd.Env = dir, in.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		p.t.Fatalf("the %s example of %s fails as printed: %v\n%s\n%s\n%s", in.lang, objective, err, code, out, stderr.String())
	}
	sid := strings.TrimSpace(string(out))
	if !regexp.MustCompile(`^(SM|MM)[0-9a-f]{32}$`).MatchString(sid) {
		p.t.Fatalf("the %s example of %s printed %q, want a message SID\n%s", in.lang, objective, out, stderr.String())
	}
	return sid
}

// TestCopiedPythonAndNodeExamplesWin runs the objective pages' Python and
// Node.js examples as printed, with the Twilio libraries players install
// (twilio from PyPI or Debian, twilio from npm), against the sandbox the
// examples point at, and HACKs the SID each prints: a text message, then
// a picture message (a list of MediaUrl). Each language skips, saying
// why, where its interpreter or library is missing.
func TestCopiedPythonAndNodeExamplesWin(t *testing.T) {
	for _, lang := range []struct {
		name string
		find func(*testing.T) interpreter
	}{{"python", pythonWithTwilio}, {"node", nodeWithTwilio}} {
		t.Run(lang.name, func(t *testing.T) {
			in := lang.find(t)
			p := newTab(t, tabOptions{})
			for _, objective := range []string{"send-sms", "send-mms"} {
				sid := p.runExample(in, objective)
				res := p.hack("paste the SID the "+in.lang+" example printed and press HACK", p.pasteSID(sid), click(p.hackButton()))
				p.wantResult(in.lang+" example of "+objective, res, "success", "awarded")
			}
		})
	}
}
