package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestAPIKeyCommands(t *testing.T) {
	dir := t.TempDir()
	out, _, err := runCLI(t, nil, "apikey", "create", "--name", "Quest Game", "--origin", "https://game.example",
		"--webhook", "https://game.example/hooks", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`qg_live_[a-z0-9]+`).FindString(out)
	id := regexp.MustCompile(`key_[a-z0-9]+`).FindString(out)
	if !regexp.MustCompile(`https://game.example/hooks.*whsec_[A-Za-z0-9+/=]{40,}`).MatchString(out) {
		t.Errorf("create printed no webhook secret:\n%s", out)
	}
	if len(key) < 30 || id == "" {
		t.Fatalf("create printed no key and id:\n%s", out)
	}
	list, _, err := runCLI(t, nil, "apikey", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, id) || !strings.Contains(list, "https://game.example") || !strings.Contains(list, "active") {
		t.Errorf("list:\n%s", list)
	}
	if strings.Contains(list, key) {
		t.Error("list shows the key")
	}
	if _, _, err := runCLI(t, nil, "apikey", "revoke", id, "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := runCLI(t, nil, "apikey", "list", "--data-dir", dir); !strings.Contains(list, "revoked") {
		t.Errorf("after revoke:\n%s", list)
	}
	if _, _, err := runCLI(t, nil, "apikey", "revoke", id, "--data-dir", dir); err == nil {
		t.Error("revoking twice succeeded")
	}
	for _, bad := range []string{"game.example", "https://game.example/path", "https://*.example", "HTTPS://Game.example"} {
		if _, _, err := runCLI(t, nil, "apikey", "create", "--name", "g", "--origin", bad, "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "--origin") {
			t.Errorf("origin %q: %v", bad, err)
		}
	}
}
