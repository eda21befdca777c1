package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/questgate/questgate/secrets"
	"github.com/questgate/questgate/store"
)

// runCLI runs one questgate command and returns what it printed.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"questgate"}, args...), func(k string) string { return env[k] },
		strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// newSandboxAccount creates a sandbox account with the CLI, as an
// operator would, and returns its SID and token.
func newSandboxAccount(t *testing.T, env map[string]string, dataDir string) (string, string) {
	t.Helper()
	out, errOut, err := runCLI(t, env, "sandbox", "account", "create", "--data-dir", dataDir, "--json", "--create")
	if err != nil {
		t.Fatalf("sandbox account create: %v\n%s", err, errOut)
	}
	var acc struct {
		AccountSID string `json:"account_sid"`
		AuthToken  string `json:"auth_token"`
	}
	if err := json.Unmarshal([]byte(out), &acc); err != nil {
		t.Fatal(err)
	}
	return acc.AccountSID, acc.AuthToken
}

// checkReadable opens the database with the keys the data folder (or env)
// gives now, and checks that every account's token opens.
func checkReadable(t *testing.T, env map[string]string, dataDir string, accounts map[string]string) {
	t.Helper()
	ks, err := secrets.Source{Dir: dataDir, Getenv: func(k string) string { return env[k] }}.Load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dataDir, "questgate.db"), store.WithSecrets(ks.Ring, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for sid, token := range accounts {
		a, err := st.SandboxAccount(context.Background(), sid)
		if err != nil || a.AuthToken != token {
			t.Errorf("account %s does not open with keys %v: %v", sid, ks.Ring.IDs(), err)
		}
	}
}

func currentKeyID(t *testing.T, dataDir string) string {
	t.Helper()
	ks, err := secrets.Source{Dir: dataDir}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return ks.Ring.Current().ID()
}

func TestKeysRotate(t *testing.T) {
	dir := t.TempDir()
	accounts := map[string]string{}
	for range 3 {
		sid, token := newSandboxAccount(t, nil, dir)
		accounts[sid] = token
	}
	before := currentKeyID(t, dir)
	out, errOut, err := runCLI(t, nil, "keys", "rotate", "--data-dir", dir)
	if err != nil {
		t.Fatalf("rotate: %v\n%s", err, errOut)
	}
	after := currentKeyID(t, dir)
	if after == before || !strings.Contains(out, "Re-sealed 3 secrets with key "+after) {
		t.Errorf("rotate said %q (key %s -> %s)", out, before, after)
	}
	if _, err := os.Stat(filepath.Join(dir, secrets.NextKeyFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Error("secret.key.next is left over")
	}
	// Only the new key is on disk, and it opens everything.
	checkReadable(t, nil, dir, accounts)
	for _, tok := range accounts {
		if raw := dbBytes(t, dir); bytes.Contains(raw, []byte(tok)) {
			t.Error("a token is in clear in the database")
		}
	}
}

func TestInterruptedRotationLosesNothing(t *testing.T) {
	src := func(dir string) secrets.Source { return secrets.Source{Dir: dir} }
	tests := []struct {
		name string
		// crash does the part of a rotation that ran before the crash.
		crash func(t *testing.T, dir string) (nextID string)
	}{
		{"after writing the new key", func(t *testing.T, dir string) string {
			ks, err := src(dir).Load()
			if err != nil {
				t.Fatal(err)
			}
			k, err := src(dir).RotationTarget(ks)
			if err != nil {
				t.Fatal(err)
			}
			return k.ID()
		}},
		{"after re-sealing, before installing the key", func(t *testing.T, dir string) string {
			ks, err := src(dir).Load()
			if err != nil {
				t.Fatal(err)
			}
			k, err := src(dir).RotationTarget(ks)
			if err != nil {
				t.Fatal(err)
			}
			ring := ks.Ring.RotatingTo(k)
			st, err := store.Open(context.Background(), filepath.Join(dir, "questgate.db"), store.WithSecrets(ring, nil))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Reseal(context.Background(), ring); err != nil {
				t.Fatal(err)
			}
			return k.ID()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			accounts := map[string]string{}
			sid, token := newSandboxAccount(t, nil, dir)
			accounts[sid] = token
			nextID := tt.crash(t, dir)

			// The server starts again with the half-done rotation: it
			// says so, reads everything, and keeps writing.
			_, errOut, err := runCLI(t, nil, "sandbox", "account", "create", "--data-dir", dir)
			if err != nil {
				t.Fatalf("start after the crash: %v\n%s", err, errOut)
			}
			if !strings.Contains(errOut, "unfinished rotation") || !strings.Contains(errOut, "keys rotate") {
				t.Errorf("the restart does not tell about the unfinished rotation:\n%s", errOut)
			}
			sid, token = newSandboxAccount(t, nil, dir)
			accounts[sid] = token
			checkReadable(t, nil, dir, accounts)

			// Running rotate again finishes with the same new key.
			if out, errOut, err := runCLI(t, nil, "keys", "rotate", "--data-dir", dir); err != nil {
				t.Fatalf("rotate again: %v\n%s%s", err, out, errOut)
			}
			if got := currentKeyID(t, dir); got != nextID {
				t.Errorf("key after finishing %s, want the interrupted rotation's %s", got, nextID)
			}
			checkReadable(t, nil, dir, accounts)
		})
	}
}

func TestKeysFromTheEnvironment(t *testing.T) {
	gen := func() string {
		out, _, err := runCLI(t, nil, "keys", "generate")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	oldKey, newKey := gen(), gen()
	if _, err := secrets.ParseKey(oldKey); err != nil || oldKey == newKey {
		t.Fatalf("keys generate printed %q: %v", oldKey, err)
	}
	dir := t.TempDir()
	oldEnv := map[string]string{secrets.EnvKey: oldKey}
	sid, token := newSandboxAccount(t, oldEnv, dir)
	accounts := map[string]string{sid: token}
	if _, err := os.Stat(filepath.Join(dir, secrets.KeyFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Error("a key file was written although the key is in the environment")
	}

	out, errOut, err := runCLI(t, map[string]string{secrets.EnvKey: oldKey, secrets.EnvNewKey: newKey}, "keys", "rotate", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "Re-sealed 1 secrets") || !strings.Contains(out, secrets.EnvPreviousKey) {
		t.Fatalf("rotate: %v %q %s", err, out, errOut)
	}
	if strings.Contains(out, newKey) || strings.Contains(out, oldKey) {
		t.Error("rotate printed a key")
	}
	// During the switch, servers run with both; afterwards the new one suffices.
	checkReadable(t, map[string]string{secrets.EnvKey: newKey, secrets.EnvPreviousKey: oldKey}, dir, accounts)
	checkReadable(t, map[string]string{secrets.EnvKey: newKey}, dir, accounts)
}

func TestServeRefusesABadKey(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		env     map[string]string
		want    string
	}{
		{"key file readable by others", "", 0o644, nil, "chmod 600"},
		{"malformed key file", "hunter2", 0o600, nil, "malformed"},
		{"malformed environment key", "", 0, map[string]string{secrets.EnvKey: "hunter2"}, secrets.EnvKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.mode != 0 {
				content := tt.content
				if content == "" {
					k, _ := secrets.GenerateKey()
					content = k.String()
				}
				path := filepath.Join(dir, secrets.KeyFileName)
				if err := os.WriteFile(path, []byte(content), tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := runCLI(t, tt.env, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("the error quotes the key")
			}
		})
	}
}

func TestCohortCreate(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runCLI(t, nil, "cohort", "create", "--name", "  Paris, November  ", "--public-url", "https://q.example/", "--data-dir", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	m := regexp.MustCompile(`(?m)^Join link: https://q\.example/join/([2-9A-HJKMNP-Z]{8})$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, `"Paris, November"`) {
		t.Fatalf("output:\n%s", out)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "questgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if c, err := st.CohortByCode(context.Background(), m[1]); err != nil || c.Name != "Paris, November" {
		t.Errorf("stored cohort %+v, %v", c, err)
	}
	for _, name := range []string{" ", strings.Repeat("x", 81), "a\nb"} {
		if _, _, err := runCLI(t, nil, "cohort", "create", "--name", name, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "--name") {
			t.Errorf("--name %q: err = %v", name, err)
		}
	}
}

// syncBuffer collects a server's log written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// dbBytes returns the database file and its write-ahead log.
func dbBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	for _, name := range []string{"questgate.db", "questgate.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestTokensStayOutOfTheLogAndTheFile runs the real server, sandbox
// included, at debug level, and plays: it looks for every token it saw
// in the log and in the data folder's database.
func TestTokensStayOutOfTheLogAndTheFile(t *testing.T) {
	dir := t.TempDir()
	logs := &syncBuffer{}
	s := startServerWith(t, serverOptions{dataDir: dir, stderr: logs, logLevel: "debug"})
	carol := browser(t)
	_, carolToken := ownAccount(t, carol, s)
	ada := browser(t)
	adaAccount, adaToken := sandboxAccount(t, s.url)
	credPage := getPage(t, ada, s.url+"/credentials")
	postForm(t, ada, credPage, s.url+"/credentials", url.Values{"account_sid": {adaAccount}, "secret": {"0" + adaToken[1:]}}) // wrong
	postForm(t, ada, credPage, s.url+"/credentials", url.Values{"account_sid": {adaAccount}, "secret": {adaToken}})
	sid := curlSMS(t, s.url, adaAccount, adaToken, "hello")
	for _, pasted := range []string{sid, sid, adaToken, "SM" + strings.Repeat("0", 32), adaAccount} {
		hack(t, ada, s.url, pasted)
	}
	bob := browser(t)
	postForm(t, bob, getPage(t, bob, s.url+"/credentials"), s.url+"/credentials/sandbox", nil)
	bobPage := getPage(t, bob, s.url+"/credentials")
	bobToken := bobPage.Find(`[data-testid="saved-secret-value"]`).Text()
	if len(bobToken) != 32 {
		t.Fatalf("Bob's sandbox token %q", bobToken)
	}
	hack(t, bob, s.url, sid)

	logged := logs.String()
	if !strings.Contains(logged, "verification") {
		t.Fatalf("the log at debug level shows no verification, so this test proves little:\n%s", logged)
	}
	raw := dbBytes(t, dir)
	for name, token := range map[string]string{"Ada's": adaToken, "Bob's": bobToken, "Carol's": carolToken} {
		if strings.Contains(logged, token) {
			t.Errorf("the log holds %s token", name)
		}
		if bytes.Contains(raw, []byte(token)) {
			t.Errorf("the database holds %s token in clear", name)
		}
	}
}
