package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
)

// pngBytes are the first bytes of a PNG, enough for the handlers' checks.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

// TestMMSPictureIsServedToItsPlayerOnly: a won MMS shows its pictures in
// the success block, served by /submissions/{id}/media/{n} with the
// player's own credentials and safe headers; another player, a media
// that is no picture, one Twilio refuses and an account changed since
// all get no picture, and the page keeps the count in words.
func TestMMSPictureIsServedToItsPlayerOnly(t *testing.T) {
	e := newEnv(t, options{})
	creds := quest.Credentials{AccountSID: testAccountSID, Secret: testSecret}
	e.saveCredentials(creds)
	me := func(c string) string { return "ME" + strings.Repeat(c, 32) }
	e.twilio.verify = passing("my own words")
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	mms := "MM" + strings.Repeat("c3", 16)
	e.twilio.verify = func(ctx context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		v, _ := passing("an owl")(ctx, req)
		v.Message.NumMedia = 4
		v.Message.Media = []quest.Media{{SID: me("a"), ContentType: "image/png"}, {SID: me("b"), ContentType: "video/mp4"},
			{SID: me("c"), ContentType: "image/jpeg"}}
		return v, nil
	}
	p := e.post("/objectives/send-mms/hack", url.Values{"sid": {mms}})
	if p.attr("result-reason", "data-reason") != string(quest.Awarded) {
		t.Fatalf("the MMS did not win: %s", p.attr("result-reason", "data-reason"))
	}
	pics := p.find("result-picture")
	if pics.Length() != 2 {
		t.Fatalf("%d pictures in the success block, want the 2 images", pics.Length())
	}
	id := strings.TrimPrefix(p.attr("attempt-link", "href"), "/submissions/")
	for i, want := range []string{"/submissions/" + id + "/media/0", "/submissions/" + id + "/media/2"} {
		src, _ := pics.Eq(i).Attr("src")
		alt, _ := pics.Eq(i).Attr("alt")
		if src != want || !strings.Contains(alt, "MMS") {
			t.Errorf("picture %d: src %q alt %q, want src %q and an alt text", i, src, alt, want)
		}
	}

	var fetched []string
	e.twilio.media = func(_ context.Context, c quest.Credentials, messageSID, mediaSID string) (quest.MediaContent, error) {
		fetched = append(fetched, mediaSID)
		if c != creds || messageSID != mms {
			t.Errorf("FetchMedia with %v for %s, want the player's own credentials for %s", c, messageSID, mms)
		}
		switch mediaSID {
		case me("a"):
			return quest.MediaContent{ContentType: "image/png", Body: pngBytes}, nil
		case me("c"):
			return quest.MediaContent{}, fmt.Errorf("Twilio answered text/html: %w", quest.ErrMediaRefused)
		}
		return quest.MediaContent{}, quest.ErrNotFound
	}
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := e.client.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := get("/submissions/" + id + "/media/0")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the player's own picture: %d", resp.StatusCode)
	}
	for name, want := range map[string]string{
		"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
		t.Errorf("Content-Security-Policy %q lets the picture do things", csp)
	}

	for _, tt := range []struct {
		name, path string
		want       int
	}{
		{"a video", "/submissions/" + id + "/media/1", http.StatusNotFound},
		{"a picture Twilio answers with HTML for", "/submissions/" + id + "/media/2", http.StatusBadGateway},
		{"a picture the submission lacks", "/submissions/" + id + "/media/3", http.StatusNotFound},
		{"a picture beyond the bound", "/submissions/" + id + "/media/9", http.StatusNotFound},
		{"a picture number written oddly", "/submissions/" + id + "/media/00", http.StatusNotFound},
		{"a submission that is not there", "/submissions/999999/media/0", http.StatusNotFound},
	} {
		resp := get(tt.path)
		if resp.StatusCode != tt.want || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d, Cache-Control %q; want %d, no-store", tt.name, resp.StatusCode, resp.Header.Get("Cache-Control"), tt.want)
		}
	}
	if want := []string{me("a"), me("c")}; fmt.Sprint(fetched) != fmt.Sprint(want) {
		t.Errorf("Twilio asked for %v, want %v", fetched, want)
	}

	// Another player, even one with credentials of their own, gets a
	// 404, and Twilio is not asked.
	fetched = nil
	mine := e.client.Jar
	e.client.Jar, _ = cookiejar.New(nil)
	e.saveCredentials(quest.Credentials{AccountSID: "AC" + strings.Repeat("d4", 16), Secret: testSecret})
	if got := get("/submissions/" + id + "/media/0").StatusCode; got != http.StatusNotFound {
		t.Errorf("another player's picture: %d, want 404", got)
	}
	if len(fetched) != 0 {
		t.Errorf("Twilio asked for %v for another player", fetched)
	}

	// The player saving another account: the picture is not in it.
	e.client.Jar = mine
	e.saveCredentials(quest.Credentials{AccountSID: "AC" + strings.Repeat("e5", 16), Secret: testSecret})
	if got := get("/submissions/" + id + "/media/0").StatusCode; got != http.StatusNotFound {
		t.Errorf("a picture of the player's former account: %d, want 404", got)
	}

	// The attempt's own page still shows the pictures, and the count.
	page := e.get("/submissions/" + id)
	if page.find("result-picture").Length() != 2 || !strings.Contains(page.text("result-media"), "4") {
		t.Errorf("the attempt's page: %d pictures, caption %q", page.find("result-picture").Length(), page.text("result-media"))
	}
}

// TestCallDurationInSuccess: a won call says how long it lasted, in
// words and in the player's language, on the hack panel and the
// attempt's page.
func TestCallDurationInSuccess(t *testing.T) {
	e := newEnv(t, options{})
	e.saveCredentials(quest.Credentials{AccountSID: testAccountSID, Secret: testSecret})
	e.twilio.verify = passing("my own words")
	e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}})
	e.twilio.verify = func(_ context.Context, req quest.CheckRequest) (quest.Verdict, error) {
		d := 72 * time.Second
		sid := quest.Normalize(req.SID)
		return quest.Verdict{Passed: true, SID: sid, Message: &quest.Message{SID: sid, AccountSID: req.Credentials.AccountSID,
			Status: "completed", Direction: "outbound-api", To: "+15558675310", From: "+15017122661", Duration: &d}}, nil
	}
	call := "CA" + strings.Repeat("f6", 16)
	p := e.post("/objectives/make-call/hack", url.Values{"sid": {call}}, htmx...)
	if got, want := p.text("result-duration"), "Call lasted 1 minute 12 seconds"; got != want {
		t.Errorf("hack panel: %q, want %q", got, want)
	}
	id := strings.TrimPrefix(p.attr("attempt-link", "href"), "/submissions/")
	if got, want := e.get("/submissions/"+id, accept("fr")...).text("result-duration"), "L'appel a duré 1 minute 12 secondes"; got != want {
		t.Errorf("attempt's page in French: %q, want %q", got, want)
	}
}

// TestInstructorSeesAPlayersPicture: an instructor gets any player's
// picture, fetched with that player's credentials.
func TestInstructorSeesAPlayersPicture(t *testing.T) {
	e := newInstructorEnv(t, instructorOptions{})
	_, playerID := e.newPlayer()
	creds := quest.Credentials{PlayerID: playerID, AccountSID: testAccountSID, Secret: testSecret}
	if err := e.store.SaveCredentials(context.Background(), creds); err != nil {
		t.Fatal(err)
	}
	mms, media := "MM"+strings.Repeat("c3", 16), "ME"+strings.Repeat("a", 32)
	sub, err := e.store.RecordAttempt(context.Background(), quest.Submission{PlayerID: playerID, ObjectiveID: "send-mms",
		SID: mms, RawSID: mms, Reason: quest.Awarded, AccountSID: testAccountSID, AccountKind: quest.AccountReal,
		Message: &quest.Message{Status: "delivered", NumMedia: 1, Media: []quest.Media{{SID: media, ContentType: "image/gif"}}}},
		&quest.Award{XP: 100})
	if err != nil {
		t.Fatal(err)
	}
	e.twilio.media = func(_ context.Context, c quest.Credentials, messageSID, mediaSID string) (quest.MediaContent, error) {
		if c.AccountSID != testAccountSID || c.Secret != testSecret || messageSID != mms || mediaSID != media {
			t.Errorf("FetchMedia(%s, %s, %s)", c.AccountSID, messageSID, mediaSID)
		}
		return quest.MediaContent{ContentType: "image/gif", Body: []byte("GIF89a")}, nil
	}
	e.signIn()
	page := e.get(fmt.Sprintf("/instructor/submissions/%d", sub.ID))
	if src := page.attr("detail-picture", "src"); src != fmt.Sprintf("/instructor/submissions/%d/media/0", sub.ID) {
		t.Errorf("the instructor's page of the submission shows picture %q", src)
	}
	p := e.get(fmt.Sprintf("/instructor/submissions/%d/media/0", sub.ID))
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "image/gif" || p.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("instructor: %d %q", p.status, p.header.Get("Content-Type"))
	}
}
