package sandbox

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestListFiltersAreHonoured: every filter Twilio's spec lists for the
// Messages and Calls lists narrows the list, and any other is refused
// with Twilio's 400, never answered with everything.
func TestListFiltersAreHonoured(t *testing.T) {
	e := newEnv(t)
	a := e.account(t)
	acc := "/2010-04-01/Accounts/" + a.SID
	post := func(path string, form url.Values) string {
		r := e.do(t, req{method: http.MethodPost, path: acc + path, form: form, user: a.SID, pass: a.AuthToken})
		if r.status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", path, r.status, r.body)
		}
		return r.json(t)["sid"].(string)
	}
	count := func(path, key string) (int, int) {
		r := e.do(t, req{method: http.MethodGet, path: acc + path, user: a.SID, pass: a.AuthToken})
		if r.status != http.StatusOK {
			return -1, r.status
		}
		items, _ := r.json(t)[key].([]any)
		return len(items), r.status
	}
	msg := url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Body": {"hi"}}
	call := url.Values{"From": {"+15017122661"}, "To": {"+15558675310"}, "Twiml": {"<Response/>"}}
	post("/Messages.json", msg) // 2026-05-24
	post("/Calls.json", call)
	e.clock.Advance(24 * time.Hour)
	post("/Messages.json", msg) // 2026-05-25
	post("/Calls.json", call)
	e.clock.Advance(10 * time.Second) // everything has reached its final status
	post("/Calls.json", call)         // queued: no start_time yet

	tests := []struct {
		path, key string
		want      int
	}{
		{"/Messages.json", "messages", 2},
		{"/Messages.json?DateSent=2026-05-24", "messages", 1},
		{"/Messages.json?DateSent%3C=2026-05-24", "messages", 1},
		{"/Messages.json?DateSent%3E=2026-05-25", "messages", 1},
		{"/Messages.json?DateSent%3E=2026-05-24T18:00:00Z", "messages", 1},
		{"/Messages.json?DateSent=2026-05-26", "messages", 0},
		{"/Calls.json", "calls", 3},
		{"/Calls.json?Status=completed", "calls", 2},
		{"/Calls.json?Status=queued", "calls", 1},
		{"/Calls.json?StartTime=2026-05-25", "calls", 1},
		{"/Calls.json?StartTime%3C=2026-05-24", "calls", 1},
		{"/Calls.json?EndTime%3E=2026-05-25", "calls", 1},
		{"/Calls.json?ParentCallSid=CA0123456789abcdef0123456789abcdef", "calls", 0},
		{"/Calls.json?Status=completed&PageSize=1", "calls", 1},
	}
	for _, tt := range tests {
		if got, status := count(tt.path, tt.key); got != tt.want {
			t.Errorf("GET %s: %d items (status %d), want %d", tt.path, got, status, tt.want)
		}
	}
	for _, path := range []string{"/Messages.json?Status=sent", "/Calls.json?DateSent=2026-05-24", "/Messages.json?DateSent=yesterday"} {
		r := e.do(t, req{method: http.MethodGet, path: acc + path, user: a.SID, pass: a.AuthToken})
		validateError(t, r, http.StatusBadRequest, 20001)
	}
}
