package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/verifier"
)

// SIDs the fake Twilio answers in particular ways.
var (
	okSID      = "SM" + strings.Repeat("0a", 16)
	downSID    = "SM" + strings.Repeat("0d", 16)
	limitedSID = "SM" + strings.Repeat("0c", 16)
	missingSID = "SM" + strings.Repeat("0e", 16)
	panicSID   = "SM" + strings.Repeat("0f", 16)
	echoSID    = "SM" + strings.Repeat("0b", 16)
)

// fakeTwilio answers like Twilio for testAccountSID and testSecret, and
// misbehaves the way upstreams do: it returns the auth token on the
// Account resource (as Twilio does), and its 503 page echoes the
// Authorization header back.
func fakeTwilio(t *testing.T) *httptest.Server {
	t.Helper()
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if user != testAccountSID || pass != testSecret {
			write(w, http.StatusUnauthorized, map[string]any{"code": 20003, "message": "Authenticate", "status": 401})
			return
		}
		base := "/2010-04-01/Accounts/" + testAccountSID
		switch r.URL.Path {
		case base + ".json":
			write(w, http.StatusOK, map[string]any{"sid": testAccountSID, "status": "active", "auth_token": testSecret,
				"friendly_name": "Ada's account"})
		case base + "/Messages/" + okSID + ".json":
			write(w, http.StatusOK, map[string]any{"sid": okSID, "account_sid": testAccountSID, "status": "delivered",
				"direction": "outbound-api", "to": "+15558675310", "from": "+15017122661", "body": "My own words",
				"num_media": "0", "date_created": "Thu, 24 Aug 2023 05:01:45 +0000"})
		case base + "/Messages/" + downSID + ".json":
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "upstream overloaded; you sent Authorization: %s", r.Header.Get("Authorization"))
		case base + "/Messages/" + echoSID + ".json":
			write(w, http.StatusBadGateway, map[string]any{"code": 20500, "status": 502,
				"message": "bad gateway for " + r.Header.Get("Authorization") + " (token " + pass + ")"})
		case base + "/Messages/" + limitedSID + ".json":
			w.Header().Set("Retry-After", "2")
			write(w, http.StatusTooManyRequests, map[string]any{"code": 20429, "message": "Too many requests", "status": 429})
		default:
			write(w, http.StatusNotFound, map[string]any{"code": 20404, "message": "not found " + r.URL.Path, "status": 404})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// panicky is a verifier that panics on panicSID, with the request in the
// panic value, as a bug deep in a dependency might.
type panicky struct{ quest.Verifier }

func (p panicky) Verify(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error) {
	if strings.Contains(req.SID, panicSID) {
		panic(fmt.Sprintf("verifier exploded on %v with %+v and %#v", req, req.Credentials, req.Credentials))
	}
	return p.Verifier.Verify(ctx, req)
}

// lockedBuffer collects the log from concurrent requests.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestTheAuthTokenNeverLeaks runs a player's whole flow against a fake
// Twilio (saving credentials, winning, failing every way, Twilio trouble,
// a panic) and looks for the auth token, and the Basic auth header made
// from it, in every response, the log and the database file.
func TestTheAuthTokenNeverLeaks(t *testing.T) {
	twilio := fakeTwilio(t)
	real, err := verifier.New(verifier.Options{BaseURL: twilio.URL})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	e := newEnv(t, options{twilio: panicky{real}, log: logs})
	basic := base64.StdEncoding.EncodeToString([]byte(testAccountSID + ":" + testSecret))
	forbidden := []string{testSecret, basic}

	var responses []page
	keep := func(p page) page { responses = append(responses, p); return p }
	hack := func(sid string, headers ...string) page {
		return keep(e.post("/objectives/send-sms/hack", url.Values{"sid": {sid}}, headers...))
	}

	// Credentials: a wrong token, then the right one.
	wrong := keep(e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {"x" + testSecret[1:]}}))
	if wrong.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong token: %d", wrong.status)
	}
	if p := keep(e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "secret": {testSecret}})); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.body)
	}

	tests := []struct {
		sid        string
		htmx       bool
		status     int
		wantReason string
	}{
		{missingSID, false, http.StatusOK, string(quest.NotFound)},
		{downSID, true, http.StatusServiceUnavailable, string(quest.UpstreamUnavailable)},
		{limitedSID, false, http.StatusServiceUnavailable, string(quest.UpstreamRateLimited)},
		{echoSID, false, http.StatusServiceUnavailable, string(quest.UpstreamUnavailable)},
		{testSecret, true, http.StatusOK, string(quest.InvalidSID)},
		{"my token is " + testSecret, false, http.StatusOK, string(quest.InvalidSID)},
		{okSID, false, http.StatusOK, string(quest.Awarded)},
		{okSID, true, http.StatusOK, string(quest.AlreadyAwarded)},
		{panicSID, false, http.StatusInternalServerError, ""},
	}
	for _, tt := range tests {
		var h []string
		if tt.htmx {
			h = htmx
		}
		p := hack(tt.sid, h...)
		if p.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.sid, p.status, tt.status)
		}
		if got := p.attr("result-reason", "data-reason"); tt.wantReason != "" && got != tt.wantReason {
			t.Errorf("%s: reason %q, want %q", tt.sid, got, tt.wantReason)
		}
	}
	if p := hack(testSecret); p.attr("result-help", "data-detail") != quest.DetailLooksLikeToken {
		t.Errorf("a pasted token is not called out: %q", p.text("result-help"))
	}

	// Every page the player can reach, in both languages.
	subs, err := e.store.RecentSubmissions(context.Background(), e.playerID(), "send-sms", 50)
	if err != nil || len(subs) == 0 {
		t.Fatalf("submissions: %v", err)
	}
	paths := []string{"/", "/objectives/send-sms", "/credentials", "/credentials?saved=1", "/profile", "/no-such-page"}
	for _, s := range subs {
		paths = append(paths, "/submissions/"+itoa(s.ID))
	}
	for _, lang := range []string{"en", "fr"} {
		for _, path := range paths {
			keep(e.get(path, accept(lang)...))
		}
	}

	// Before deleting anything: the database holds the secret sealed only.
	raw := dbFiles(t, e.dbPath)
	logged := logs.Bytes()
	if os.Getenv("QG_DUMP") != "" {
		t.Logf("%s", logged)
	}
	if !bytes.Contains(logged, []byte("panic")) || !bytes.Contains(logged, []byte(testAccountSID)) ||
		!bytes.Contains(logged, []byte("bad gateway for Basic ****")) {
		t.Errorf("the log misses the panic or the account SID, so this test proves little:\n%s", logged)
	}
	for _, secret := range forbidden {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds %q", secret)
		}
		if bytes.Contains(logged, []byte(secret)) {
			t.Errorf("the log holds %q:\n%s", secret, logged)
		}
		for i, p := range responses {
			if strings.Contains(p.body, secret) || strings.Contains(fmt.Sprint(p.header), secret) {
				t.Errorf("response %d (status %d) holds %q", i, p.status, secret)
			}
		}
	}

	// Deleting really deletes.
	keep(e.post("/credentials/delete", nil))
	if c := e.storedCredentials(); c != nil {
		t.Errorf("still stored after delete: %v", c)
	}
	if p := hack(okSID); p.attr("result-reason", "data-reason") != string(quest.AlreadyAwarded) {
		t.Errorf("after delete: %q", p.attr("result-reason", "data-reason"))
	}
	if p := hack(missingSID); p.attr("result-reason", "data-reason") != string(quest.NoCredentials) {
		t.Errorf("after delete, a new SID is checked with %q", p.attr("result-reason", "data-reason"))
	}
}

// TestPastedSecretsNeverLeak: a player pastes a secret where the SID
// goes (anyone's Auth Token with no credentials saved, their own token
// upper-cased, the account's Auth Token while they play with an API key).
// It is refused as looks_like_token, and nowhere (the result, the
// attempt's page, the instructor's pages, the live view, the CSV, the log,
// the database file and its WAL) holds it, in any case.
func TestPastedSecretsNeverLeak(t *testing.T) {
	authToken := "9c0ffee5" + strings.Repeat("d00d", 6)
	tests := []struct {
		name  string
		saved *quest.Credentials // nil: none
		paste string
	}{
		{"no credentials, a random Auth Token", nil, authToken},
		{"the saved token, upper-cased", &quest.Credentials{AccountSID: testAccountSID, Secret: authToken},
			strings.ToUpper(authToken)},
		{"an API key player, the account's Auth Token", &quest.Credentials{AccountSID: testAccountSID,
			APIKeySID: "SK" + strings.Repeat("c3", 16), Secret: "KeySecret" + strings.Repeat("Ab1", 7) + "Zz"}, authToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &lockedBuffer{}
			e := newInstructorEnv(t, instructorOptions{log: logs})
			e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
				t.Error("the paste reached Twilio")
				return quest.Verdict{Reason: quest.NotFound}, nil
			}
			e.signIn()
			pl, playerID := e.newPlayer()
			if tt.saved != nil {
				pl.saveCredentials(*tt.saved)
			}
			s := e.openStream(e.get("/instructor/submissions").attr("live", "sse-connect"))

			var bodies []string
			for _, h := range [][]string{nil, htmx} {
				p := pl.post("/objectives/send-sms/hack", url.Values{"sid": {tt.paste}}, h...)
				bodies = append(bodies, p.body)
				if got := p.attr("result-help", "data-detail"); got != quest.DetailLooksLikeToken {
					t.Errorf("htmx %v: detail %q, want %q", h != nil, got, quest.DetailLooksLikeToken)
				}
				if got := p.attr("result-reason", "data-reason"); got != string(quest.InvalidSID) {
					t.Errorf("htmx %v: reason %q, want invalid_sid", h != nil, got)
				}
				bodies = append(bodies, s.next(t).data)
			}
			subs, err := e.store.RecentSubmissions(context.Background(), playerID, "send-sms", 10)
			if err != nil || len(subs) != 2 {
				t.Fatalf("submissions %+v, %v", subs, err)
			}
			paths := []string{"/objectives/send-sms", "/instructor/submissions", "/instructor/players/" + playerID,
				"/instructor/submissions?sid=" + url.QueryEscape("****"), "/instructor/progress"}
			for _, sub := range subs {
				paths = append(paths, "/submissions/"+itoa(sub.ID), "/instructor/submissions/"+itoa(sub.ID))
			}
			for _, path := range paths {
				c := e
				if strings.HasPrefix(path, "/submissions/") || strings.HasPrefix(path, "/objectives/") {
					c = pl
				}
				p := c.get(path)
				if p.status != http.StatusOK {
					t.Errorf("%s: status %d", path, p.status)
				}
				bodies = append(bodies, p.body)
			}
			_, rows := readCSV(t, e, "/instructor/submissions.csv")
			if len(rows) != 3 {
				t.Errorf("CSV has %d rows, want a header and 2 attempts", len(rows))
			}
			bodies = append(bodies, fmt.Sprint(rows))
			bodies = append(bodies, string(logs.Bytes()), string(dbFiles(t, e.dbPath)))

			secret := strings.ToLower(authToken)
			for i, b := range bodies {
				if strings.Contains(strings.ToLower(b), secret) {
					t.Errorf("place %d holds the pasted secret", i)
				}
			}
			if !strings.Contains(strings.Join(bodies, ""), "****"+secret[28:]) {
				t.Error("the masked paste is shown nowhere, so this test proves little")
			}
		})
	}
}

// TestPastedSecretsNeverLeakThroughTheAPI: a game sends, as the SID,
// the account's Auth Token while its player uses an API key: the answer
// is invalid_sid/looks_like_token, and neither the answer, the player's
// list of verifications, the log nor the database file holds the token.
func TestPastedSecretsNeverLeakThroughTheAPI(t *testing.T) {
	authToken := "9C0FFEE5" + strings.Repeat("D00D", 6)
	logs := &lockedBuffer{}
	e := newEnv(t, options{log: logs})
	e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		t.Error("the paste reached Twilio")
		return quest.Verdict{Reason: quest.NotFound}, nil
	}
	key, _ := e.newKey()
	body := `{"objective": "send-sms", "sid": " ` + authToken + ` ", "player": {"id": "game-player-7"},
		"credentials": {"account_sid": "` + testAccountSID + `", "api_key_sid": "SK` + strings.Repeat("c3", 16) + `",
		"api_key_secret": "KeySecret` + strings.Repeat("Ab1", 7) + `Zz"}}`
	r := e.api("POST", "/api/v1/verifications", key, body)
	if r.status != http.StatusOK || r.str("reason") != string(quest.InvalidSID) {
		t.Errorf("status %d reason %q, want 200 invalid_sid", r.status, r.str("reason"))
	}
	if !strings.Contains(r.str("message"), "rotate it") {
		t.Errorf("message %q does not tell to rotate the token", r.str("message"))
	}
	list := e.api("GET", "/api/v1/submissions", key, "")
	if list.status != http.StatusOK || !strings.Contains(string(list.raw), "invalid_sid") {
		t.Errorf("list: %d %s", list.status, list.raw)
	}
	secret := strings.ToLower(authToken)
	for what, b := range map[string]string{"answer": string(r.raw), "list": string(list.raw), "log": string(logs.Bytes()),
		"database": string(dbFiles(t, e.dbPath))} {
		if strings.Contains(strings.ToLower(b), secret) {
			t.Errorf("the %s holds the pasted token", what)
		}
	}
}

// dbFiles returns the database file and its write-ahead log.
func dbFiles(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("no database file")
	}
	return all
}

// hostile is text from a player that tries to become markup or SQL.
const hostile = `<script>alert("pwned")</script><img src=x onerror=alert(1)>' OR 1=1; --`

// TestHostileNamesAreInert sets a display name and a cohort name made of
// markup and SQL, then checks every page that shows them: the text is
// there verbatim, and no element came out of it.
func TestHostileNamesAreInert(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.verify = passing(hostile)
	c := newCohort(t, e, hostile)
	name := hostile[:40]
	if p := e.post("/join/"+c.JoinCode, url.Values{"display_name": {name}}); p.status != http.StatusSeeOther {
		t.Fatalf("join: %d %s", p.status, p.text("error-display_name"))
	}
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	subs, _ := e.store.RecentSubmissions(context.Background(), e.playerID(), "send-sms", 1)
	if len(subs) != 1 {
		t.Fatal("no submission")
	}
	pages := []string{"/", "/objectives/send-sms", "/credentials", "/profile", "/profile?done=joined",
		"/join/" + c.JoinCode, "/submissions/" + itoa(subs[0].ID)}
	for _, path := range pages {
		for _, lang := range []string{"en", "fr"} {
			p := e.get(path, accept(lang)...)
			if p.status != http.StatusOK {
				t.Fatalf("%s: %d", path, p.status)
			}
			if got, want := p.text("nav-profile"), e.msg(lang, "layout.playing_as", map[string]any{"Name": name}); got != squash(want) {
				t.Errorf("%s: nav shows %q, want %q", path, got, want)
			}
			if n := p.doc.Find("script:not([src])").Length(); n != 0 {
				t.Errorf("%s: %d inline scripts", path, n)
			}
			if n := p.doc.Find("img[onerror], [onerror]").Length(); n != 0 {
				t.Errorf("%s: an element with onerror", path)
			}
			if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "<img src=x") {
				t.Errorf("%s: the markup came through unescaped", path)
			}
		}
	}
	if got := e.get("/profile").text("cohort-name"); !strings.Contains(got, hostile) {
		t.Errorf("the cohort name is not shown verbatim: %q", got)
	}
	if got := e.get("/submissions/" + itoa(subs[0].ID)).text("message-body"); got != squash(hostile) {
		t.Errorf("the message body is not shown verbatim: %q", got)
	}
	pl, err := e.store.Player(context.Background(), e.playerID())
	if err != nil || pl.DisplayName != name {
		t.Errorf("stored name %q, want %q", pl.DisplayName, name)
	}
}

func TestDebugInfo(t *testing.T) {
	e := newEnv(t, options{})
	e.twilio.check = func(context.Context, quest.Credentials) error { return nil }
	e.twilio.verify = func(context.Context, quest.CheckRequest) (quest.Verdict, error) {
		return quest.Verdict{Reason: quest.WrongResource, Detail: quest.DetailAccount, SID: testAccountSID}, nil
	}
	keySID := "SK" + strings.Repeat("c3", 16)
	e.post("/credentials", url.Values{"account_sid": {testAccountSID}, "api_key_sid": {keySID}, "secret": {testSecret}})
	for _, hx := range []bool{false, true} {
		h := accept("fr")
		if hx {
			h = append(h, htmx...)
		}
		p := e.post("/objectives/send-sms/hack", url.Values{"sid": {testAccountSID}}, h...)
		text := p.find("debug-text").Text()
		subs, _ := e.store.RecentSubmissions(context.Background(), e.playerID(), "send-sms", 1)
		reqID := p.header.Get("X-Request-Id")
		if p.redirected != 0 {
			// The attempt's page shows the id of the request that made it.
			reqID = p.redirectHeader.Get("X-Request-Id")
		}
		l := func(id string) string { return e.msg("fr", id) + ": " }
		for _, want := range []string{
			e.msg("fr", "debug.heading"),
			l("debug.version") + "v1.2.3-test",
			l("debug.go") + "go",
			l("debug.objective") + "send-sms",
			l("debug.sid") + testAccountSID,
			l("debug.reason") + "wrong_resource",
			l("debug.detail") + "account",
			l("debug.submission") + itoa(subs[0].ID),
			l("debug.request") + reqID,
			l("debug.language") + "fr",
			l("debug.account") + e.msg("fr", "debug.kind.real") + " " + testAccountSID,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("htmx %v: debug info lacks %q:\n%s", hx, want, text)
			}
		}
		// The key and the secret's last characters are the live answer's:
		// an attempt's page shows what its row recorded (the account).
		for _, want := range []string{l("debug.api_key") + keySID, l("debug.secret") + "****WXYZ"} {
			if hx && !strings.Contains(text, want) {
				t.Errorf("htmx %v: debug info lacks %q:\n%s", hx, want, text)
			}
		}
		if reqID == "" {
			t.Error("no request id header")
		}
		if strings.Contains(p.body, testSecret) {
			t.Error("the page holds the secret")
		}
		btn := p.find("copy-debug")
		if _, hidden := btn.Attr("hidden"); !hidden || btn.Text() != e.msg("fr", "debug.copy") {
			t.Errorf("copy button: hidden %v text %q", hidden, btn.Text())
		}
		target, _ := btn.Attr("data-copy")
		if p.doc.Find("#"+target).Length() != 1 || p.doc.Find("details#"+target+", details pre#"+target).Length() != 1 {
			t.Errorf("the button copies #%s, which is not the text in <details>", target)
		}
		if v, _ := btn.Attr("data-copied"); v != e.msg("fr", "debug.copied") {
			t.Errorf("data-copied %q", v)
		}
	}
	// The attempt page shows the same, from what was recorded.
	subs, _ := e.store.RecentSubmissions(context.Background(), e.playerID(), "send-sms", 1)
	text := e.get("/submissions/" + itoa(subs[0].ID)).find("debug-text").Text()
	if !strings.Contains(text, "wrong_resource") || !strings.Contains(text, testAccountSID) {
		t.Errorf("attempt page debug info:\n%s", text)
	}
}
