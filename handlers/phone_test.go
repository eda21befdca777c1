package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/questgate/questgate/quest"
)

// fakeInbox is the sandbox's inbox: texts per account.
type fakeInbox struct {
	texts map[string][]quest.PhoneText
	asked []string // the numbers of the last call
}

func (f *fakeInbox) Inbox(_ context.Context, accountSID string, numbers []string) ([]quest.PhoneText, error) {
	f.asked = slices.Clone(numbers)
	return f.texts[accountSID], nil
}

// TestSandboxPhonePage: a player with a sandbox account and a registered
// number reads their codes, newest first, never cached; without a
// sandbox account or a number they are told what to do.
func TestSandboxPhonePage(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	state := func(p page) string { return p.doc.Find(`[data-testid="phone-state"]`).AttrOr("data-state", "") }

	if p := e.get("/phone"); p.status != http.StatusOK || state(p) != "no_sandbox" {
		t.Errorf("a visitor: status %d, state %q, want no_sandbox", p.status, state(p))
	}
	if p := e.post("/credentials/sandbox", nil); p.status != http.StatusSeeOther {
		t.Fatalf("use a sandbox account: %d", p.status)
	}
	if p := e.get("/phone"); state(p) != "no_numbers" {
		t.Errorf("without numbers: state %q, want no_numbers", state(p))
	}
	e.post("/credentials/numbers", url.Values{"number": {"+15558675310"}})
	saved, err := e.store.Credentials(context.Background(), e.playerID())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 24, 17, 0, 0, 0, time.UTC)
	e.inbox.texts = map[string][]quest.PhoneText{saved.AccountSID: {
		{To: "+15558675310", From: "Quest", Body: "Your Quest verification code is: 111111", At: at},
		{To: "+15558675310", From: "Quest", Body: "Your Quest verification code is: 222222", At: at.Add(time.Minute)},
	}}
	p := e.get("/phone", "Accept-Language", "fr")
	bodies := p.doc.Find(`[data-testid="phone-body"]`).Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
	if len(bodies) != 2 || !strings.HasSuffix(bodies[0], "222222") {
		t.Errorf("texts = %q, want the newest first", bodies)
	}
	if !slices.Equal(e.inbox.asked, []string{"+15558675310"}) {
		t.Errorf("the inbox was asked for %v, want the registered number", e.inbox.asked)
	}
	if cc := p.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q: codes must not be cached", cc)
	}
	if h1 := p.doc.Find("h1").Text(); h1 != e.msg("fr", "phone.title") {
		t.Errorf("French title %q", h1)
	}
}
