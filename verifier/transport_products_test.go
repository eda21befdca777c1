package verifier

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

type recordURL struct{ got *string }

func (r recordURL) RoundTrip(req *http.Request) (*http.Response, error) {
	*r.got = req.URL.String()
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}}, nil
}

// TestProductHostsUnderOneBase: against Twilio, each product keeps its
// host; against any other base, Messaging and Verify go under /messaging
// and /verify beside /2010-04-01.
func TestProductHostsUnderOneBase(t *testing.T) {
	tests := []struct {
		base, in, want string
	}{
		{DefaultBaseURL, "https://api.twilio.com/2010-04-01/Accounts/AC1.json", "https://api.twilio.com/2010-04-01/Accounts/AC1.json"},
		{DefaultBaseURL, "https://messaging.twilio.com/v1/Services/MG1", "https://messaging.twilio.com/v1/Services/MG1"},
		{DefaultBaseURL, "https://verify.twilio.com/v2/Services", "https://verify.twilio.com/v2/Services"},
		{"http://localhost:8080/sandbox", "https://api.twilio.com/2010-04-01/Accounts/AC1.json", "http://localhost:8080/sandbox/2010-04-01/Accounts/AC1.json"},
		{"http://localhost:8080/sandbox", "https://messaging.twilio.com/v1/Services/MG1", "http://localhost:8080/sandbox/messaging/v1/Services/MG1"},
		{"http://localhost:8080/sandbox", "https://verify.twilio.com/v2/Services?PageSize=20", "http://localhost:8080/sandbox/verify/v2/Services?PageSize=20"},
	}
	for _, tt := range tests {
		v, err := New(Options{BaseURL: tt.base})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		tr := &callTransport{ctx: context.Background(), base: v.base, next: recordURL{&got}, products: v.base.Host != defaultHost}
		u, _ := url.Parse(tt.in)
		if _, err := tr.RoundTrip(&http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("base %s: %s went to %s, want %s", tt.base, tt.in, got, tt.want)
		}
	}
}
