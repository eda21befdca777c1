package sandbox

import (
	"bytes"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestCallDuration: a sandbox call lasts what its TwiML would take to
// play, within bounds.
func TestCallDuration(t *testing.T) {
	long := "<Response><Say>" + strings.Repeat("word ", 10000) + "</Say></Response>"
	tests := []struct {
		twiml string
		want  time.Duration
	}{
		{"", 12 * time.Second},
		{"<Response/>", time.Second},
		{"<Response><Say>Hello from my own code, in the sandbox, today</Say></Response>", 5 * time.Second},
		{`<Response><Say>Hi</Say><Pause length="10"/><Play>https://example.com/a.mp3</Play></Response>`, 16 * time.Second},
		{`<Response><Pause/></Response>`, 2 * time.Second},
		{"not xml", time.Second},
		{`<Response><Pause length="99999999"/></Response>`, 4 * time.Hour},
		{long, 4001 * time.Second}, // 10,000 words at 150 a minute, and a second to answer
	}
	for _, tt := range tests {
		if got := callDuration(tt.twiml); got != tt.want {
			t.Errorf("callDuration(%.40q) = %s, want %s", tt.twiml, got, tt.want)
		}
	}
}

// TestMediaContent: a media file's address without .json answers a
// picture drawn for it, in its content type; with .json its resource;
// another account, or a media of another message, gets 404.
func TestMediaContent(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	r := e.do(t, req{method: http.MethodPost, path: "/2010-04-01/Accounts/" + a.SID + "/Messages.json", user: a.SID, pass: a.AuthToken,
		form: url.Values{"To": {"+15558675310"}, "From": {"+15017122661"}, "Body": {"pictures"},
			"MediaUrl": {"https://demo.twilio.com/owl.png", "https://example.com/cat.JPG", "https://example.com/a.gif", "https://example.com/card.vcf"}}})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	mm := r.json(t)["sid"].(string)
	list := e.do(t, req{method: http.MethodGet, path: "/2010-04-01/Accounts/" + a.SID + "/Messages/" + mm + "/Media.json", user: a.SID, pass: a.AuthToken})
	media := list.json(t)["media_list"].([]any)
	if len(media) != 4 {
		t.Fatalf("media = %v", media)
	}
	base := "/2010-04-01/Accounts/" + a.SID + "/Messages/" + mm + "/Media/"
	for i, want := range []string{"image/png", "image/jpeg", "image/gif", "text/vcard"} {
		sid := media[i].(map[string]any)["sid"].(string)
		got := e.do(t, req{method: http.MethodGet, path: base + sid, user: a.SID, pass: a.AuthToken})
		if got.status != http.StatusOK || got.header.Get("Content-Type") != want {
			t.Fatalf("media %d: %d %q, want 200 %s", i, got.status, got.header.Get("Content-Type"), want)
		}
		if strings.HasPrefix(want, "image/") {
			if _, format, err := image.Decode(bytes.NewReader([]byte(got.body))); err != nil || "image/"+format != want {
				t.Errorf("media %d: decodes as %q, %v", i, format, err)
			}
		}
		res := e.do(t, req{method: http.MethodGet, path: base + sid + ".json", user: a.SID, pass: a.AuthToken})
		if res.status != http.StatusOK || res.json(t)["sid"] != sid || res.json(t)["content_type"] != want {
			t.Errorf("media %d resource: %d %s", i, res.status, res.body)
		}
	}
	first := media[0].(map[string]any)["sid"].(string)
	other := e.account(t)
	for name, rq := range map[string]req{
		"another account": {method: http.MethodGet, path: "/2010-04-01/Accounts/" + other.SID + "/Messages/" + mm + "/Media/" + first, user: other.SID, pass: other.AuthToken},
		"no such media":   {method: http.MethodGet, path: base + "ME" + strings.Repeat("0", 32), user: a.SID, pass: a.AuthToken},
		"a malformed SID": {method: http.MethodGet, path: base + "ME..%2F..", user: a.SID, pass: a.AuthToken},
		"no credentials":  {method: http.MethodGet, path: base + first},
	} {
		if got := e.do(t, rq); got.status != http.StatusNotFound && got.status != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 404 or 401", name, got.status)
		}
	}
}
