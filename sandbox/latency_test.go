package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/questgate/questgate/store"
)

// TestLatency checks Options.Latency: every answer, errors included, comes
// no sooner than the latency, and a request whose client gives up while
// it waits is dropped undone. Only lower bounds are asserted, so a slow
// machine cannot fail it.
func TestLatency(t *testing.T) {
	const latency = 50 * time.Millisecond
	e := newEnv(t)
	a := e.account(t)
	slow := New(e.sb.st, Options{Latency: latency})
	srv := newTestServer(t, slow)

	tests := []struct {
		name, method, path string
		form               url.Values
		want               int
	}{
		{"fetch account", http.MethodGet, "/2010-04-01/Accounts/" + a.SID + ".json", nil, http.StatusOK},
		{"send a message", http.MethodPost, "/2010-04-01/Accounts/" + a.SID + "/Messages.json",
			sms("+15558675310", "slow hello"), http.StatusCreated},
		{"unknown message", http.MethodGet, messagePath(a, "SM"+strings.Repeat("0", 32)), nil, http.StatusNotFound},
		{"wrong method", http.MethodDelete, "/2010-04-01/Accounts/" + a.SID + "/Messages.json", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			if tt.form != nil {
				body = strings.NewReader(tt.form.Encode())
			} else {
				body = strings.NewReader("")
			}
			r, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+Prefix+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.form != nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			r.SetBasicAuth(a.SID, a.AuthToken)
			began := time.Now()
			res, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if took := time.Since(began); took < latency {
				t.Errorf("answered after %s, want at least the latency %s", took, latency)
			}
			if res.StatusCode != tt.want {
				t.Errorf("status %d, want %d", res.StatusCode, tt.want)
			}
		})
	}

	t.Run("client gives up while waiting", func(t *testing.T) {
		// The client gives up before the latency is over; had the
		// sandbox not noticed, it would create the message right after.
		const latency = 50 * time.Millisecond
		slow := New(e.sb.st, Options{Latency: latency})
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		r, err := http.NewRequestWithContext(ctx, http.MethodPost,
			"https://api.twilio.com/2010-04-01/Accounts/"+a.SID+"/Messages.json",
			strings.NewReader(sms("+15558675310", "never sent").Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(a.SID, a.AuthToken)
		if _, err := InProcess(slow).RoundTrip(r); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("RoundTrip error = %v, want context.DeadlineExceeded", err)
		}
		time.Sleep(3 * latency) // past the moment a careless sandbox would create it
		msgs, err := e.sb.st.SandboxMessages(t.Context(), store.SandboxMessageFilter{AccountSID: a.SID})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Body == "never sent" {
				t.Errorf("message %s was created by a request dropped while waiting", m.SID)
			}
		}
	})
}
