package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// browserResolve reads a Location as a browser's URL parser does: tabs and
// line breaks anywhere are dropped and a backslash is a slash. Go's own
// parser keeps them, which is how "/\t/evil.example" looked local.
func browserResolve(t *testing.T, base, location string) *url.URL {
	t.Helper()
	loc := strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, strings.TrimFunc(location, func(r rune) bool { return r <= ' ' }))
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.Parse(loc)
	if err != nil {
		return b // a browser would not go anywhere either
	}
	return u
}

// TestLanguageSwitchStaysOnTheSite: the switcher goes back to the page the
// player was on, and nowhere else, whatever a link put in next.
func TestLanguageSwitchStaysOnTheSite(t *testing.T) {
	e := newEnv(t, options{})
	for _, tc := range []struct {
		name, next, want string
	}{
		{"a page", "/objectives/send-sms", "/objectives/send-sms"},
		{"a page with a query", "/instructor/submissions?player=pl_1&reason=not_found", "/instructor/submissions?player=pl_1&reason=not_found"},
		{"nothing", "", "/"},
		{"tab then slash", "/\t/evil.example", "/"},
		{"line feed then slash", "/\n/evil.example", "/"},
		{"carriage return then slash", "/\r/evil.example", "/"},
		{"NUL", "/\x00/evil.example", "/"},
		{"DEL", "/\x7f/evil.example", "/"},
		{"leading space", " //evil.example", "/"},
		{"scheme-relative", "//evil.example", "/"},
		{"backslash second", "/\\evil.example", "/"},
		{"backslash later", "/a/..\\..\\\\evil.example", "/"},
		{"absolute", "https://evil.example/", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"relative", "evil.example", "/"},
		{"non-ASCII", "/\u3000/evil.example", "/"},
		{"zero-width space", "/\u200B/evil.example", "/"},
		{"space inside", "/a b", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The transport itself: http.Client refuses to read a
			// Location with a control character, browsers do not.
			req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/lang/fr?next="+url.QueryEscape(tc.next), nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d", res.StatusCode)
			}
			loc := res.Header.Get("Location")
			if u := browserResolve(t, e.srv.URL, loc); u.Host != strings.TrimPrefix(e.srv.URL, "http://") || u.Scheme != "http" {
				t.Errorf("next=%q: a browser goes to %s", tc.next, u)
			}
			if loc != tc.want {
				t.Errorf("next=%q: Location %q, want %q", tc.next, loc, tc.want)
			}
		})
	}
}

// TestVaryNamesEachHeaderOnce: a player's pages vary on the language and
// on the session, both read from cookies; caches get each header once.
func TestVaryNamesEachHeaderOnce(t *testing.T) {
	e := newEnv(t, options{sandbox: true})
	e.twilio.verify, e.sandbox.verify = rejecting("not_found"), rejecting("not_found")
	for _, tc := range []struct {
		name string
		do   func() page
	}{
		{"an objective page", func() page { return e.get("/objectives/send-sms") }},
		{"a HACK's answer", func() page {
			return e.post("/objectives/send-sms/hack", url.Values{"sid": {testMessageSID}}, "HX-Request", "true")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.do()
			seen := map[string]int{}
			for _, v := range p.header.Values("Vary") {
				for name := range strings.SplitSeq(v, ",") {
					seen[http.CanonicalHeaderKey(strings.TrimSpace(name))]++
				}
			}
			for _, want := range []string{"Cookie", "Accept-Language"} {
				if seen[want] != 1 {
					t.Errorf("Vary names %s %d times, want once: %q", want, seen[want], p.header.Values("Vary"))
				}
			}
		})
	}
}
