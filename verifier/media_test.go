package verifier_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/verifier"
)

// TestProofFromTheSandbox: a won call comes with its duration, a won MMS
// with its media, whose picture FetchMedia then gets from the sandbox;
// a text has neither.
func TestProofFromTheSandbox(t *testing.T) {
	s := newSandboxed(t)
	acc := "/2010-04-01/Accounts/" + s.account.SID
	earlier := &quest.PlayerFacts{OpenedAt: s.clock.Add(-time.Hour)}
	mms := s.post(t, acc+"/Messages.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"an owl"},
		"MediaUrl": {"https://demo.twilio.com/owl.png", "https://example.com/cat.jpg"}})["sid"].(string)
	call := s.post(t, acc+"/Calls.json", url.Values{"From": {"+15017122661"}, "To": {"+15558675310"},
		"Twiml": {"<Response><Say>Hello from my own code, in the sandbox</Say></Response>"}})["sid"].(string)
	*s.clock = s.clock.Add(10 * time.Second)

	v := s.verify(t, "make-call", call, earlier)
	if !v.Passed || v.Message.Duration == nil || *v.Message.Duration <= 0 {
		t.Fatalf("call: passed %v, duration %v; want a pass with a duration", v.Passed, v.Message.Duration)
	}
	if v.Message.Media != nil {
		t.Errorf("call: media %v, want none", v.Message.Media)
	}
	v = s.verify(t, "send-mms", mms, earlier)
	if !v.Passed || len(v.Message.Media) != 2 {
		t.Fatalf("mms: passed %v, media %+v; want a pass with 2 media", v.Passed, v.Message.Media)
	}
	creds := quest.Credentials{AccountSID: s.account.SID, Secret: s.account.AuthToken}
	for i, want := range []string{"image/png", "image/jpeg"} {
		m := v.Message.Media[i]
		if m.ContentType != want {
			t.Errorf("media %d: %s, want %s", i, m.ContentType, want)
		}
		got, err := s.v.FetchMedia(context.Background(), creds, mms, m.SID)
		if err != nil || got.ContentType != want || len(got.Body) == 0 {
			t.Fatalf("FetchMedia %d: %s, %d bytes, %v; want %s", i, got.ContentType, len(got.Body), err, want)
		}
	}
	if _, err := s.v.FetchMedia(context.Background(), creds, mms, "ME"+strings.Repeat("0", 32)); !errors.Is(err, quest.ErrNotFound) {
		t.Errorf("FetchMedia of a media the message lacks: %v, want ErrNotFound", err)
	}
	if _, err := s.v.FetchMedia(context.Background(), quest.Credentials{AccountSID: s.account.SID, Secret: strings.Repeat("f", 32)},
		mms, v.Message.Media[0].SID); err == nil {
		t.Error("FetchMedia with a wrong token: no error")
	}
}

// oneAddress resolves every name to addr.
type oneAddress struct{ addr netip.Addr }

func (r oneAddress) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{r.addr}, nil
}

// TestFetchMediaRefuses: only a picture of a shown type, of bounded size,
// whose bytes are what its type says, is returned; a redirect to a
// private address is not followed, one to a public host is (without the
// credentials).
func TestFetchMediaRefuses(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	pic := buf.Bytes()
	const ac, mm, me = "AC0123456789abcdef0123456789abcdef", "MM0123456789abcdef0123456789abcdef", "ME0123456789abcdef0123456789abcdef"
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("the CDN got the credentials")
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic)
	}))
	defer cdn.Close()
	cdnURL, _ := url.Parse(cdn.URL)
	tests := []struct {
		name    string
		answer  func(w http.ResponseWriter)
		private bool // the tester allows private addresses
		want    error
	}{
		{"picture", func(w http.ResponseWriter) { w.Header().Set("Content-Type", "image/png"); w.Write(pic) }, false, nil},
		{"html", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<script>alert(1)</script>"))
		}, false, quest.ErrMediaRefused},
		{"svg", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "image/svg+xml")
			w.Write([]byte("<svg onload='alert(1)'/>"))
		}, false, quest.ErrMediaRefused},
		{"html said to be png", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("<html><script>alert(1)</script>"))
		}, false, quest.ErrMediaRefused},
		{"oversize", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(pic)
			w.Write(make([]byte, quest.MaxMediaBytes))
		}, false, quest.ErrMediaRefused},
		{"not found", func(w http.ResponseWriter) { http.Error(w, `{"code":20404}`, http.StatusNotFound) }, false, quest.ErrNotFound},
		{"redirect to a private address", func(w http.ResponseWriter) {
			w.Header().Set("Location", cdn.URL+"/media.png")
			w.WriteHeader(http.StatusFound)
		}, false, quest.ErrMediaRefused},
		{"redirect to the metadata address", func(w http.ResponseWriter) {
			w.Header().Set("Location", "http://169.254.169.254/latest/meta-data/")
			w.WriteHeader(http.StatusFound)
		}, false, quest.ErrMediaRefused},
		{"redirect to a public host", func(w http.ResponseWriter) {
			w.Header().Set("Location", "http://cdn.example:"+cdnURL.Port()+"/media.png")
			w.WriteHeader(http.StatusFound)
		}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if user, _, ok := r.BasicAuth(); !ok || user != ac || r.URL.Path != "/2010-04-01/Accounts/"+ac+"/Messages/"+mm+"/Media/"+me {
					t.Errorf("asked %s as %q", r.URL.Path, user)
				}
				tt.answer(w)
			}))
			defer api.Close()
			tester := &verifier.WebhookTester{}
			if tt.private {
				// As with --allow-private-webhooks: the CDN's name
				// resolves to the test server.
				tester = &verifier.WebhookTester{AllowPrivate: true, Resolver: oneAddress{netip.MustParseAddr("127.0.0.1")}}
			}
			v, err := verifier.New(verifier.Options{BaseURL: api.URL, Webhooks: tester})
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.FetchMedia(context.Background(), quest.Credentials{AccountSID: ac, Secret: strings.Repeat("a", 32)}, mm, me)
			switch {
			case tt.want == nil && (err != nil || got.ContentType != "image/png" || !bytes.Equal(got.Body, pic)):
				t.Errorf("got %q, %d bytes, %v; want the picture", got.ContentType, len(got.Body), err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}
