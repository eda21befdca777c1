package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestNoSharedDemoAccount runs `serve --sandbox` as `make run` does: the
// start-up help prints no credentials, only where to start; each player
// gets a sandbox account of their own, whose messages and SIDs no one else
// can read or win; and a game's player without credentials is refused with
// 422 no_credentials, never checked in some account of the server's.
func TestNoSharedDemoAccount(t *testing.T) {
	dir := t.TempDir()
	out, _, err := runCLI(t, nil, "apikey", "create", "--name", "Quest Game", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`qg_live_[a-z0-9]+`).FindString(out)
	if key == "" {
		t.Fatalf("no key printed:\n%s", out)
	}
	s := startServerWith(t, serverOptions{dataDir: dir})

	help := s.output.String()
	if regexp.MustCompile(`[0-9a-f]{32}|-u AC`).MatchString(help) {
		t.Errorf("the start-up help prints credentials:\n%s", help)
	}
	if !strings.Contains(help, s.url+"/objectives/send-sms") {
		t.Errorf("the start-up help does not say which page to open:\n%s", help)
	}

	home := getPage(t, browser(t), s.url+"/")
	if html, _ := home.Html(); strings.Contains(html, "/Accounts/AC") {
		t.Error("an anonymous home page shows an account")
	}

	ada, eve := browser(t), browser(t)
	adaAccount, adaToken := ownAccount(t, ada, s)
	eveAccount, eveToken := ownAccount(t, eve, s)
	if adaAccount == eveAccount {
		t.Fatalf("Ada and Eve share the account %s", adaAccount)
	}
	sid := curlSMS(t, s.url, adaAccount, adaToken, "Ada's secret plans")

	// Eve can neither list Ada's messages nor win with Ada's SID.
	req, err := http.NewRequest(http.MethodGet, s.url+"/sandbox/2010-04-01/Accounts/"+adaAccount+"/Messages.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(eveAccount, eveToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("Eve lists Ada's messages")
	}
	if state, reason, _ := hack(t, eve, s.url, sid); state != "FAILED" || reason != "not_found" {
		t.Errorf("Eve with Ada's SID: %s %s, want FAILED not_found", state, reason)
	}
	if state, reason, _ := hack(t, ada, s.url, sid); state != "SUCCESS" || reason != "awarded" {
		t.Errorf("Ada with her SID after Eve tried it: %s %s, want SUCCESS awarded", state, reason)
	}

	// A game's player without credentials: 422 no_credentials.
	body := `{"objective": "send-sms", "sid": "` + curlSMS(t, s.url, eveAccount, eveToken, "From the game") + `", "player": {"id": "gamer-1"}}`
	req, err = http.NewRequest(http.MethodPost, s.url+"/api/v1/verifications", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var problem struct{ Reason string }
	if err := json.NewDecoder(resp.Body).Decode(&problem); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnprocessableEntity || problem.Reason != "no_credentials" {
		t.Errorf("API without credentials: %s %q, want 422 no_credentials", resp.Status, problem.Reason)
	}
}
