package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/auth"
)

func TestVerifySendsOneIdempotentRequest(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/verifications" || r.Header.Get("Authorization") != "Bearer qg_live_test" ||
			r.Header.Get("Idempotency-Key") == "" {
			t.Errorf("request %s %v", r.URL.Path, r.Header)
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"awarded","reason":"awarded","title":"Objective complete!","message":"On to the next.","xp":100,"submission_id":7}`))
	}))
	defer srv.Close()
	var out strings.Builder
	err := run(context.Background(), []string{"-url", srv.URL, "-key", "qg_live_test", "verify", "-sid", "SM1", "-player", "p42"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "awarded") || got["objective"] != "send-sms" {
		t.Errorf("out %q, sent %v", out.String(), got)
	}
}

func TestWidgetPrintsASignedURL(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-url", "http://q.example", "widget", "-key-id", "key_1", "-secret", "s", "-player", "p42"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "http://q.example/embed/objectives/send-sms?token=ey") {
		t.Fatalf("printed %q", out.String())
	}
	// questgate at http://q.example accepts the token: issued by the key,
	// for that server; another server refuses it.
	u, err := url.Parse(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	secretOf := func(kid string) (string, error) {
		if kid != "key_1" {
			return "", errors.New("unknown key")
		}
		return "s", nil
	}
	token := u.Query().Get("token")
	if c, _, err := auth.ParseToken(token, secretOf, "http://q.example", time.Now()); err != nil || c.Subject != "p42" {
		t.Errorf("questgate refuses the example's token: %v (claims %+v)", err, c)
	}
	if _, _, err := auth.ParseToken(token, secretOf, "http://other.example", time.Now()); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("another server accepts the example's token: %v", err)
	}
}
