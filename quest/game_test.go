package quest_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/internal/testkit/fakeclock"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/store"
)

// checker stands in for Twilio's credentials check: it accepts token
// only, and counts its calls.
type checker struct {
	token string
	calls int
}

func (c *checker) CheckCredentials(_ context.Context, cr quest.Credentials) (bool, error) {
	c.calls++
	if cr.Secret != c.token {
		return false, &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemRejected}
	}
	return false, nil
}

// TestGameSignIn plays a game's sign-ins in order: Twilio is asked on
// the first sight of credentials only, a refused token changes nothing,
// and what is wrong is named.
func TestGameSignIn(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	players := quest.NewPlayers(st)
	cohort, err := players.CreateCohort(ctx, "Quest night")
	if err != nil {
		t.Fatal(err)
	}
	tw := &checker{token: "tokenOne0123456789abcdefABCDEF01"}
	g := quest.NewGamePlayers(quest.GamePlayersConfig{Store: st, Cohorts: players, Check: tw})
	const account = "AC0123456789abcdef0123456789abcdef"
	code := strings.ToLower(cohort.JoinCode)
	steps := []struct {
		name        string
		code, token string
		typed       string
		rotate      string // the token Twilio accepts from this step on
		wantErr     func(error) bool
		wantChecked bool
		wantNew     bool
		wantName    string
	}{
		{name: "first sign-in, no name yet", code: code, token: "tokenOne0123456789abcdefABCDEF01", wantChecked: true, wantNew: true,
			wantName: "Player …cdef"},
		{name: "the same credentials, with a name", code: code, token: "tokenOne0123456789abcdefABCDEF01", typed: " Ada ", wantName: "Ada"},
		{name: "a wrong token", code: code, token: "tokenBad0123456789abcdefABCDEF01", wantChecked: true,
			wantErr: func(err error) bool { _, ok := errors.AsType[*quest.CredentialsError](err); return ok }, wantName: "Ada"},
		{name: "the remembered credentials still pass unchecked", code: code, token: "tokenOne0123456789abcdefABCDEF01", wantName: "Ada"},
		{name: "a rotated token is checked once", code: code, token: "tokenTwo0123456789abcdefABCDEF01", rotate: "tokenTwo0123456789abcdefABCDEF01",
			wantChecked: true, wantName: "Ada"},
		{name: "an unknown cohort", code: "ZZZZZZZZ", token: "tokenTwo0123456789abcdefABCDEF01",
			wantErr: func(err error) bool { return errors.Is(err, quest.ErrUnknownCohort) }, wantName: "Ada"},
		{name: "a name on two lines", code: code, token: "tokenTwo0123456789abcdefABCDEF01", typed: "Ada\nL",
			wantErr: func(err error) bool { _, ok := errors.AsType[*quest.NameError](err); return ok }, wantName: "Ada"},
	}
	var playerID string
	for _, s := range steps {
		if s.rotate != "" {
			tw.token = s.rotate
		}
		before := tw.calls
		gp, err := g.SignIn(ctx, quest.GameSignIn{JoinCode: s.code, Name: s.typed,
			Credentials: quest.Credentials{AccountSID: " " + account, Secret: s.token}})
		if checked := tw.calls > before; checked != s.wantChecked {
			t.Errorf("%s: Twilio asked %v, want %v", s.name, checked, s.wantChecked)
		}
		switch {
		case s.wantErr != nil && (err == nil || !s.wantErr(err)):
			t.Errorf("%s: err %v", s.name, err)
		case s.wantErr == nil && err != nil:
			t.Fatalf("%s: %v", s.name, err)
		case err == nil:
			if gp.New != s.wantNew || gp.Checked != s.wantChecked || gp.Cohort.ID != cohort.ID || gp.Credentials.AccountSID != account {
				t.Errorf("%s: %+v", s.name, gp)
			}
			if playerID == "" {
				playerID = gp.PlayerID
			} else if gp.PlayerID != playerID {
				t.Errorf("%s: player %s, want the same %s", s.name, gp.PlayerID, playerID)
			}
		}
		if p, err := st.Player(ctx, playerID); err != nil || p.DisplayName != s.wantName {
			t.Errorf("%s: name %q (%v), want %q", s.name, p.DisplayName, err, s.wantName)
		}
	}
}

// TestGameSignInBudgets: one account signs in so many times a minute;
// one address makes Twilio check so many credentials a minute, and
// remembered credentials do not count against it.
func TestGameSignInBudgets(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	players := quest.NewPlayers(st)
	cohort, err := players.CreateCohort(ctx, "Budgets")
	if err != nil {
		t.Fatal(err)
	}
	clock := fakeclock.New(fakeclock.Start)
	token := "token0123456789abcdefABCDEF0123"
	g := quest.NewGamePlayers(quest.GamePlayersConfig{Store: st, Cohorts: players, Check: &checker{token: token},
		Accounts:  ratelimit.NewMemory(ratelimit.PerMinute(3), clock.Now),
		Addresses: ratelimit.NewMemory(ratelimit.PerMinute(2), clock.Now)})
	signIn := func(account string) error {
		_, err := g.SignIn(ctx, quest.GameSignIn{JoinCode: cohort.JoinCode, Address: "203.0.113.5",
			Credentials: quest.Credentials{AccountSID: account, Secret: token}})
		return err
	}
	limitedBy := func(err error) string {
		if le, ok := errors.AsType[*quest.GameLimitError](err); ok && le.RetryAfter > 0 {
			return le.By
		}
		return ""
	}
	a := "AC" + strings.Repeat("a1", 16)
	for i := range 3 {
		if err := signIn(a); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
	if by := limitedBy(signIn(a)); by != "account" {
		t.Errorf("fourth sign-in of one account: limited by %q, want account", by)
	}
	if err := signIn("AC" + strings.Repeat("b2", 16)); err != nil {
		t.Fatalf("a second account: %v", err)
	}
	if by := limitedBy(signIn("AC" + strings.Repeat("c3", 16))); by != "address" {
		t.Errorf("a third new account from one address: limited by %q, want address", by)
	}
	clock.Advance(time.Minute)
	if err := signIn("AC" + strings.Repeat("c3", 16)); err != nil {
		t.Errorf("a minute later: %v", err)
	}
}
