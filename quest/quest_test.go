package quest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// fakeVerifier answers with its functions and counts calls.
type fakeVerifier struct {
	verify func(quest.CheckRequest) (quest.Verdict, error)
	check  func(quest.Credentials) error
	calls  atomic.Int32
}

func (f *fakeVerifier) Verify(_ context.Context, r quest.CheckRequest) (quest.Verdict, error) {
	f.calls.Add(1)
	return f.verify(r)
}

func (f *fakeVerifier) CheckCredentials(_ context.Context, c quest.Credentials) error {
	f.calls.Add(1)
	return f.check(c)
}

// passing accepts any request, echoing the credentials' account in the message.
func passing() *fakeVerifier {
	return &fakeVerifier{
		verify: func(r quest.CheckRequest) (quest.Verdict, error) {
			sid := quest.Normalize(r.SID)
			return quest.Verdict{Passed: true, SID: sid, Upstream: 80 * time.Millisecond,
				Message: &quest.Message{SID: sid, AccountSID: r.Credentials.AccountSID, Body: "hi", Status: "sent"}}, nil
		},
		check: func(quest.Credentials) error { return nil },
	}
}

// fakeSandbox recognises accounts; each account it creates has its own
// SID (AC, then c…, then the count) and the token d….
type fakeSandbox struct {
	accounts map[string]bool
	created  *atomic.Int32
}

func (f fakeSandbox) CreateAccount(context.Context, string) (string, string, error) {
	n := f.created.Add(1)
	sid := "AC" + hex32('c')
	return fmt.Sprintf("%s%02d", sid[:len(sid)-2], n), hex32('d'), nil
}

func (f fakeSandbox) IsAccount(_ context.Context, sid string) (bool, error) {
	return f.accounts[sid], nil
}

func hex32(c byte) string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

var (
	smsSID = "SM" + hex32('1')
	realAC = "AC" + hex32('a')
	sandAC = "AC" + hex32('b')
	token  = hex32('e')
)

type fixture struct {
	svc     *quest.Service
	st      *store.Store
	twilio  *fakeVerifier
	sandbox *fakeVerifier
	player  string
	cfg     quest.Config
	// created counts the sandbox accounts made.
	created atomic.Int32
}

func newFixture(t *testing.T, withSandbox bool) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreatePlayer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, twilio: passing(), sandbox: passing(), player: p.ID}
	cfg := quest.Config{Catalog: cat, Store: st, Twilio: f.twilio}
	if withSandbox {
		cfg.Sandbox = fakeSandbox{accounts: map[string]bool{sandAC: true}, created: &f.created}
		cfg.SandboxVerifier = f.sandbox
	}
	f.svc, f.cfg = quest.New(cfg), cfg
	return f
}

func (f *fixture) submit(t *testing.T, sid string) *quest.Result {
	t.Helper()
	res, err := f.svc.Submit(context.Background(), quest.Attempt{PlayerID: f.player, ObjectiveID: "send-sms", SID: sid})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSubmitRoutesToTheRightUpstream(t *testing.T) {
	tests := []struct {
		name        string
		sandbox     bool
		creds       *quest.Credentials
		wantTwilio  int32
		wantSandbox int32
		wantKind    string
		wantReason  quest.Reason
	}{
		{"real credentials go to Twilio", true, &quest.Credentials{AccountSID: realAC, Secret: token}, 1, 0, quest.AccountReal, quest.Awarded},
		{"sandbox credentials go to the sandbox", true, &quest.Credentials{AccountSID: sandAC, Secret: token, Sandbox: true}, 0, 1, quest.AccountSandbox, quest.Awarded},
		// The verifier gets no credentials (it answers no_credentials;
		// this fake passes anything): never another account's.
		{"no credentials with the sandbox on: no account of anyone else's", true, nil, 1, 0, quest.AccountNone, quest.Awarded},
		{"no credentials and no sandbox", false, nil, 1, 0, quest.AccountNone, quest.Awarded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.sandbox)
			if tt.creds != nil {
				c := *tt.creds
				c.PlayerID = f.player
				if err := f.st.SaveCredentials(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}
			res := f.submit(t, smsSID)
			if res.Submission.Reason != tt.wantReason || res.Account.Kind != tt.wantKind {
				t.Errorf("reason %q account %q, want %q %q", res.Submission.Reason, res.Account.Kind, tt.wantReason, tt.wantKind)
			}
			if m := res.Submission.Message; m != nil && tt.creds == nil && m.AccountSID != "" {
				t.Errorf("checked in account %s", m.AccountSID)
			}
			if f.created.Load() != 0 {
				t.Errorf("an attempt made %d sandbox accounts", f.created.Load())
			}
			if f.twilio.calls.Load() != tt.wantTwilio || f.sandbox.calls.Load() != tt.wantSandbox {
				t.Errorf("calls: twilio %d sandbox %d, want %d %d", f.twilio.calls.Load(), f.sandbox.calls.Load(), tt.wantTwilio, tt.wantSandbox)
			}
		})
	}
}

// sandboxed gives the fixture's player a sandbox account, whose attempts
// go to the sandbox verifier.
func (f *fixture) sandboxed(t *testing.T) {
	t.Helper()
	if err := f.st.SaveCredentials(context.Background(), quest.Credentials{PlayerID: f.player, AccountSID: sandAC, Secret: token, Sandbox: true}); err != nil {
		t.Fatal(err)
	}
}

func TestSubmitAwardsOnceAndAnswersRepeatsFromTheDatabase(t *testing.T) {
	f := newFixture(t, true)
	f.sandboxed(t)
	first := f.submit(t, " '"+smsSID+"' ")
	if first.Submission.Reason != quest.Awarded || first.XP != 100 || first.Submission.SID != smsSID {
		t.Fatalf("first = %+v", first)
	}
	again := f.submit(t, smsSID)
	if again.Submission.Reason != quest.AlreadyAwarded || again.XP != 0 {
		t.Errorf("again = %+v", again)
	}
	if again.Submission.Message == nil || again.Submission.Message.Body != "hi" {
		t.Errorf("a repeat shows what was verified, got %+v", again.Submission.Message)
	}
	// The award's attempt keeps what Twilio said; a repeat's row does not
	// copy it, or clicking HACK on a won SID would add a message body (up
	// to 6 KB) to the database at every click.
	stored, err := f.st.Submission(context.Background(), f.player, again.Submission.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Message != nil {
		t.Errorf("the repeat's row holds a copy of the message: %+v", stored.Message)
	}
	if n := f.sandbox.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}

func TestSubmitRecordsUpstreamTrouble(t *testing.T) {
	f := newFixture(t, true)
	f.sandboxed(t)
	f.sandbox.verify = func(r quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{SID: smsSID, Reason: quest.UpstreamRateLimited},
			&quest.UpstreamError{Reason: quest.UpstreamRateLimited, RetryAfter: 7 * time.Second, Status: 429, Err: errors.New("slow down")}
	}
	res := f.submit(t, smsSID)
	if res.Submission.Reason != quest.UpstreamRateLimited || res.RetryAfter != 7*time.Second || res.Submission.ID == 0 {
		t.Errorf("result = %+v", res)
	}
}

func TestSubmitUnknownObjective(t *testing.T) {
	f := newFixture(t, false)
	_, err := f.svc.Submit(context.Background(), quest.Attempt{PlayerID: f.player, ObjectiveID: "nope", SID: smsSID})
	if !errors.Is(err, quest.ErrUnknownObjective) {
		t.Errorf("err = %v, want ErrUnknownObjective", err)
	}
}

func TestSaveCredentials(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		account     string
		check       error
		wantErr     bool
		wantSandbox bool
	}{
		{"real account", realAC, nil, false, false},
		{"sandbox account", sandAC, nil, false, true},
		{"bad format", "AC123", nil, true, false},
		{"rejected by Twilio", realAC, &quest.CredentialsError{Field: quest.FieldSecret, Problem: quest.ProblemRejected}, true, false},
		{"Twilio down", realAC, &quest.UpstreamError{Reason: quest.UpstreamUnavailable}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, true)
			f.twilio.check = func(quest.Credentials) error { return tt.check }
			_, err := f.svc.SaveCredentials(ctx, f.player, tt.account, "", token)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			got, gerr := f.st.Credentials(ctx, f.player)
			if tt.wantErr {
				if !errors.Is(gerr, quest.ErrNotFound) {
					t.Errorf("failed save stored %+v", got)
				}
				return
			}
			if gerr != nil || got.Sandbox != tt.wantSandbox || got.AccountSID != tt.account {
				t.Errorf("stored %+v, %v", got, gerr)
			}
		})
	}
}

func TestUseSandboxAccount(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, true)
	c, err := f.svc.UseSandboxAccount(ctx, f.player)
	if err != nil || !c.Sandbox || c.AccountSID == "" {
		t.Fatalf("UseSandboxAccount = %+v, %v", c, err)
	}
	off := newFixture(t, false)
	if _, err := off.svc.UseSandboxAccount(ctx, off.player); !errors.Is(err, quest.ErrNoSandbox) {
		t.Errorf("without sandbox: err = %v", err)
	}
}

// TestSubmitMasksPastedSecrets: whatever secret a player pastes where the
// SID goes (their own in any case, anyone's Auth Token, an API key
// secret), it is refused as invalid_sid/looks_like_token, never sent to
// Twilio, and neither the result nor the database keeps it, in any case.
func TestSubmitMasksPastedSecrets(t *testing.T) {
	apiSecret := "Zx9" + strings.Repeat("Qw3", 9) + "Kp" // 32 letters and digits, mixed case
	randomToken := "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	tests := []struct {
		name      string
		creds     *quest.Credentials // nil: no credentials (the demo account)
		objective string
		paste     string
		secret    string
		want      string // the RawSID kept
	}{
		{"own token", &quest.Credentials{AccountSID: realAC, Secret: token}, "send-sms", " " + token + " ", token, "****eeee"},
		{"own token upper-cased", &quest.Credentials{AccountSID: realAC, Secret: token}, "send-sms", strings.ToUpper(token), token, "****eeee"},
		{"own token behind a SID prefix", &quest.Credentials{AccountSID: realAC, Secret: token}, "send-sms", "SM" + token, token, "SM****eeee"},
		{"demo player, a random token", nil, "send-sms", randomToken, randomToken, "****e1f0"},
		{"demo player, a token upper-cased in quotes", nil, "send-sms", `"` + strings.ToUpper(randomToken) + `"`, randomToken, "****e1f0"},
		{"API key player, the account's Auth Token", &quest.Credentials{AccountSID: realAC, APIKeySID: "SK" + hex32('9'), Secret: apiSecret},
			"send-sms", randomToken, randomToken, "****e1f0"},
		{"an API key secret", &quest.Credentials{AccountSID: realAC, Secret: token}, "send-sms", apiSecret, apiSecret, "****w3kp"},
		{"a token split by an invisible character", nil, "send-sms", randomToken[:10] + "\u200b" + randomToken[10:], randomToken, "****e1f0"},
		{"a token in a sentence", nil, "send-sms", "my token is " + randomToken + ".", randomToken, "my token is ****e1f0"},
		{"a token at a locked objective", nil, "reply-sms", randomToken, randomToken, "****e1f0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, true)
			if tt.creds != nil {
				c := *tt.creds
				c.PlayerID = f.player
				if err := f.st.SaveCredentials(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			res, err := f.svc.Submit(ctx, quest.Attempt{PlayerID: f.player, ObjectiveID: tt.objective, SID: tt.paste})
			if err != nil {
				t.Fatal(err)
			}
			if res.Submission.Reason != quest.InvalidSID || res.Detail != quest.DetailLooksLikeToken {
				t.Errorf("reason %q detail %q, want invalid_sid looks_like_token", res.Submission.Reason, res.Detail)
			}
			if n := f.twilio.calls.Load() + f.sandbox.calls.Load(); n != 0 {
				t.Errorf("the secret was sent to Twilio (%d calls)", n)
			}
			subs, err := f.st.RecentSubmissions(ctx, f.player, tt.objective, 1)
			if err != nil || len(subs) != 1 {
				t.Fatalf("recorded %+v, %v", subs, err)
			}
			for where, sub := range map[string]quest.Submission{"result": res.Submission, "database": subs[0]} {
				if sub.RawSID != tt.want || sub.SID != "" || sub.Detail != quest.DetailLooksLikeToken {
					t.Errorf("%s: raw %q sid %q detail %q, want raw %q, no sid", where, sub.RawSID, sub.SID, sub.Detail, tt.want)
				}
				if strings.Contains(strings.ToLower(sub.RawSID+sub.SID), strings.ToLower(tt.secret)) {
					t.Errorf("%s keeps the secret: %+v", where, sub)
				}
			}
		})
	}
}

// TestSubmitKeepsASIDThatIsNoSecret: the masking takes nothing that is a
// SID or a player's usual mistake for one.
func TestSubmitKeepsASIDThatIsNoSecret(t *testing.T) {
	for _, paste := range []string{smsSID, strings.ToUpper(smsSID), realAC, "SM" + hex32('1')[:31], "SM" + hex32('1')[:30], " '" + smsSID + "'. "} {
		t.Run(paste, func(t *testing.T) {
			f := newFixture(t, true)
			res := f.submit(t, paste)
			if res.Detail == quest.DetailLooksLikeToken || res.Submission.RawSID != paste {
				t.Errorf("%q: detail %q raw %q, want the paste checked and kept", paste, res.Detail, res.Submission.RawSID)
			}
		})
	}
}

func TestSubmitRecordsWhoseAccount(t *testing.T) {
	tests := []struct {
		name  string
		creds *quest.Credentials
		want  quest.Account
	}{
		{"real", &quest.Credentials{AccountSID: realAC, Secret: token}, quest.Account{Kind: quest.AccountReal, AccountSID: realAC, Last4: token[28:]}},
		{"sandbox", &quest.Credentials{AccountSID: sandAC, Secret: token, Sandbox: true}, quest.Account{Kind: quest.AccountSandbox, AccountSID: sandAC, Last4: token[28:]}},
		{"none", nil, quest.Account{Kind: quest.AccountNone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, true)
			if tt.creds != nil {
				c := *tt.creds
				c.PlayerID = f.player
				if err := f.st.SaveCredentials(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}
			res := f.submit(t, smsSID)
			if res.Account != tt.want {
				t.Errorf("account %+v, want %+v", res.Account, tt.want)
			}
			if res.Submission.AccountKind != tt.want.Kind || res.Submission.AccountSID != tt.want.AccountSID {
				t.Errorf("submission %+v", res.Submission)
			}
		})
	}
}

func TestSavedCredentialsHideARealSecret(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, true)
	saved, err := f.svc.SaveCredentials(ctx, f.player, realAC, "", token)
	if err != nil {
		t.Fatal(err)
	}
	want := quest.Saved{AccountSID: realAC, Last4: token[28:]}
	if saved.AccountSID != want.AccountSID || saved.Last4 != want.Last4 || saved.SandboxSecret != "" || saved.Sandbox {
		t.Errorf("SaveCredentials = %+v", saved)
	}
	got, err := f.svc.SavedCredentials(ctx, f.player)
	if err != nil || got.Last4 != want.Last4 || got.SandboxSecret != "" || got.UpdatedAt.IsZero() {
		t.Errorf("SavedCredentials = %+v, %v", got, err)
	}
	sb, err := f.svc.UseSandboxAccount(ctx, f.player)
	if err != nil || !sb.Sandbox || sb.SandboxSecret != hex32('d') {
		t.Errorf("a sandbox token is shown whole: %+v, %v", sb, err)
	}
}

// TestEnsureCredentials: a player without credentials gets a sandbox
// account of their own, once, stored as their credentials; a player with
// credentials keeps them; without the sandbox nothing is made.
func TestEnsureCredentials(t *testing.T) {
	real := &quest.Credentials{AccountSID: realAC, Secret: token}
	tests := []struct {
		name        string
		sandbox     bool
		creds       *quest.Credentials
		wantErr     error
		wantAccount string // "" for the account made
		wantCreated int32
	}{
		{"none, sandbox on: an account of their own", true, nil, nil, "", 1},
		{"real credentials are kept", true, real, nil, realAC, 0},
		{"none, sandbox off: nothing", false, nil, quest.ErrNotFound, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, tt.sandbox)
			if tt.creds != nil {
				c := *tt.creds
				c.PlayerID = f.player
				if err := f.st.SaveCredentials(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			first, err := f.svc.EnsureCredentials(ctx, f.player)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("EnsureCredentials: %v, want %v", err, tt.wantErr)
			}
			again, err := f.svc.EnsureCredentials(ctx, f.player)
			if !errors.Is(err, tt.wantErr) || again.AccountSID != first.AccountSID {
				t.Errorf("again: %+v %v, want the same account as %+v", again, err, first)
			}
			if got := f.created.Load(); got != tt.wantCreated {
				t.Errorf("%d sandbox accounts made, want %d", got, tt.wantCreated)
			}
			if tt.wantErr != nil {
				return
			}
			stored, err := f.st.Credentials(ctx, f.player)
			if err != nil || stored.AccountSID != first.AccountSID {
				t.Fatalf("stored %+v, %v; shown %+v", stored, err, first)
			}
			if tt.wantAccount != "" && first.AccountSID != tt.wantAccount {
				t.Errorf("account %s, want %s", first.AccountSID, tt.wantAccount)
			}
			if tt.wantAccount == "" && (!first.Sandbox || !stored.Sandbox || first.SandboxSecret != stored.Secret) {
				t.Errorf("made account shown %+v, stored %+v", first, stored)
			}
		})
	}
}

// TestEnsureCredentialsRace: two first requests of one player, at once,
// leave them one account, the one both are shown.
func TestEnsureCredentialsRace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, true)
	got := make(chan string, 2)
	for range 2 {
		go func() {
			s, err := f.svc.EnsureCredentials(ctx, f.player)
			if err != nil {
				t.Error(err)
			}
			got <- s.AccountSID
		}()
	}
	a, b := <-got, <-got
	stored, err := f.st.Credentials(ctx, f.player)
	if err != nil || a != stored.AccountSID || b != stored.AccountSID {
		t.Errorf("shown %s and %s, stored %s (%v)", a, b, stored.AccountSID, err)
	}
}

func TestLast4(t *testing.T) {
	for in, want := range map[string]string{token: "eeee", "abcd": "", "": "", "abcde": "bcde", "ééééé": "éééé"} {
		if got := quest.Last4(in); got != want {
			t.Errorf("quest.Last4(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegradePublishesAndNeedsAReason(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, false)
	b := live.NewBroker(4)
	f.cfg.Live = b
	f.svc = quest.New(f.cfg)
	events := b.Subscribe(ctx)
	in, err := f.st.CreateInstructor(ctx, "t@example.org", "h")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Regrade(ctx, quest.Regrade{PlayerID: f.player, ObjectiveID: "send-sms", InstructorID: in.ID, Award: true, Reason: "  "}); !errors.Is(err, quest.ErrReasonRequired) {
		t.Errorf("blank reason: %v", err)
	}
	if err := f.svc.Regrade(ctx, quest.Regrade{PlayerID: f.player, ObjectiveID: "send-sms", InstructorID: in.ID, Award: true, Reason: "saw it"}); err != nil {
		t.Fatal(err)
	}
	if e := <-events; e.Kind != live.Regrade || e.PlayerID != f.player {
		t.Errorf("event %+v", e)
	}
	if awards, _ := f.st.Awards(ctx, f.player); !awards["send-sms"].Manual {
		t.Errorf("awards = %+v", awards)
	}
}

// TestOneMessageOneObjective: one outbound SMS to the player's own
// number proves send-sms, and is then refused for reply-sms, unless the
// catalog lets reply-sms reuse send-sms's proof.
func TestOneMessageOneObjective(t *testing.T) {
	const sharing = `objectives:
  - id: reply-sms
    kind: message
    prerequisites: [send-sms]
    reuses_proof_of: [send-sms]
    xp: 200
    title: {en: a, fr: b}
    summary: {en: a, fr: b}
    instructions: {en: a, fr: b}
`
	tests := []struct {
		name       string
		catalog    string // loaded over the embedded one; "" for it alone
		want       quest.Reason
		wantDetail string
		wantXP     int
	}{
		{"the embedded catalog", "", quest.SIDUsedForAnotherObjective, "send-sms", 0},
		{"a catalog that shares the proof", sharing, quest.Awarded, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, false)
			if tt.catalog != "" {
				cat, err := catalog.Load("sharing.yaml", []byte(tt.catalog), f.cfg.Catalog)
				if err != nil {
					t.Fatal(err)
				}
				f.cfg.Catalog = cat
				f.svc = quest.New(f.cfg)
			}
			if err := f.st.SaveCredentials(ctx, quest.Credentials{PlayerID: f.player, AccountSID: realAC, Secret: token}); err != nil {
				t.Fatal(err)
			}
			if r := f.submit(t, smsSID); r.Submission.Reason != quest.Awarded {
				t.Fatalf("send-sms: %s", r.Submission.Reason)
			}
			res, err := f.svc.Submit(ctx, quest.Attempt{PlayerID: f.player, ObjectiveID: "reply-sms", SID: smsSID})
			if err != nil {
				t.Fatal(err)
			}
			if res.Submission.Reason != tt.want || res.Detail != tt.wantDetail || res.XP != tt.wantXP {
				t.Errorf("reply-sms with the same SID: %s (%q), %d XP; want %s (%q), %d XP",
					res.Submission.Reason, res.Detail, res.XP, tt.want, tt.wantDetail, tt.wantXP)
			}
			awards, err := f.st.Awards(ctx, f.player)
			if _, won := awards["reply-sms"]; err != nil || won != (tt.wantXP > 0) {
				t.Errorf("awards %v (%v)", awards, err)
			}
		})
	}
}

// TestSubmitNormalisesThePasteOnce checks that the verifier is asked with
// the SID quest normalised, whatever copy-paste brought around it, and
// that the attempt keeps both the paste and the SID.
func TestSubmitNormalisesThePasteOnce(t *testing.T) {
	tests := []struct {
		name, paste string
	}{
		{"clean", smsSID},
		{"quotes and spaces", " \u201c" + smsSID + "\u201d. "},
		{"caps lock", "sm" + strings.ToUpper(hex32('1'))},
		{"invisible characters", "\u200b" + smsSID + "\ufeff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, false)
			var asked string
			f.twilio.verify = func(r quest.CheckRequest) (quest.Verdict, error) {
				asked = r.SID
				return quest.Verdict{Reason: quest.NotFound, SID: r.SID}, nil
			}
			res := f.submit(t, tt.paste)
			if asked != smsSID {
				t.Errorf("the verifier was asked with %q, want %q", asked, smsSID)
			}
			if res.Submission.SID != smsSID || res.Submission.RawSID != tt.paste {
				t.Errorf("recorded SID %q from paste %q, want %q from %q", res.Submission.SID, res.Submission.RawSID, smsSID, tt.paste)
			}
		})
	}
}
