package verifier

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

// Bounds of a webhook test request: Twilio itself waits 15 s for a
// webhook, but a player waits for the HACK answer, and TwiML is small.
const (
	DefaultWebhookTimeout = 5 * time.Second
	maxWebhookBody        = 64 << 10
)

// Resolver looks host names up; *net.Resolver implements it, and tests
// pass a stub that answers what they need (a public name resolving to a
// private address).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// WebhookTester sends a player's webhook the request Twilio would send,
// signed with X-Twilio-Signature, and checks TwiML comes back. It calls a
// URL the player chose, so unless AllowPrivate is set it refuses any
// address that is loopback, private, link-local (cloud metadata at
// 169.254.169.254 included), unspecified, multicast or shared (CGNAT),
// whether written in the URL or resolved from its name; it dials the
// address it checked (no second lookup to rebind), follows no redirect
// and reads at most 64 KB.
type WebhookTester struct {
	// AllowPrivate lets the test call private addresses
	// (--allow-private-webhooks): for a workshop on a LAN, and tests.
	AllowPrivate bool
	// Resolver resolves names; net.DefaultResolver when nil.
	Resolver Resolver
	// Timeout bounds the whole test: DefaultWebhookTimeout when zero.
	Timeout time.Duration
	once    sync.Once
	client  *http.Client // built once by httpClient
}

// errPrivate: the webhook's address is one questgate does not call.
var errPrivate = errors.New("webhook address is private, loopback, link-local or otherwise internal")

// blocked reports whether a is an address a webhook test must not reach.
func blocked(a netip.Addr) bool {
	a = a.Unmap()
	return !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) || netip.MustParsePrefix("0.0.0.0/8").Contains(a) ||
		netip.MustParsePrefix("192.0.0.0/24").Contains(a) || netip.MustParsePrefix("198.18.0.0/15").Contains(a) ||
		netip.MustParsePrefix("64:ff9b::/96").Contains(a) || a == netip.MustParseAddr("255.255.255.255")
}

func (w *WebhookTester) resolver() Resolver {
	if w.Resolver != nil {
		return w.Resolver
	}
	return net.DefaultResolver
}

// dial resolves addr's host, refuses blocked addresses (unless allowed)
// and connects to the first address that passed.
func (w *WebhookTester) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = w.resolver().LookupNetIP(ctx, "ip", host); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	var d net.Dialer
	var last error = fmt.Errorf("resolve %s: no address", host)
	for _, a := range addrs {
		if !w.AllowPrivate && blocked(a) {
			// Every address must be public: a name that also resolves to
			// a private one is refused, whichever would be dialled.
			return nil, fmt.Errorf("%s resolves to %s: %w", host, a, errPrivate)
		}
	}
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

func (w *WebhookTester) httpClient() *http.Client {
	w.once.Do(w.build)
	return w.client
}

func (w *WebhookTester) build() {
	t, _ := http.DefaultTransport.(*http.Transport)
	t = t.Clone()
	t.Proxy = nil // a proxy would dial for us, unchecked
	t.DialContext = w.dial
	w.client = &http.Client{Transport: t,
		// A redirect could lead anywhere, private addresses included:
		// the webhook must answer itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect }}
}

var errRedirect = errors.New("the webhook redirected")

// transport is the tester's transport: it dials only addresses the
// tester would call (public ones, unless AllowPrivate), and follows no
// redirect itself. Media fetched through a CDN goes through it too.
func (w *WebhookTester) transport() http.RoundTripper {
	return w.httpClient().Transport
}

// parseWebhook parses a webhook URL: absolute, http or https, with a
// host and no user info.
func parseWebhook(raw string) (*url.URL, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return nil, false
	}
	return u, true
}

// webhookParams are the parameters of the test request: what Twilio sends
// a number's webhook for an incoming text (or call).
func webhookParams(which, accountSID, to string) url.Values {
	p := url.Values{"AccountSid": {accountSID}, "From": {"+15005550006"}, "To": {to}, "ApiVersion": {"2010-04-01"}}
	if which == catalog.WebhookVoice {
		p.Set("CallSid", "CA"+strings.Repeat("0", 32))
		p.Set("CallStatus", "ringing")
		p.Set("Direction", "inbound")
		return p
	}
	p.Set("MessageSid", "SM"+strings.Repeat("0", 32))
	p.Set("Body", "questgate webhook test")
	p.Set("NumMedia", "0")
	return p
}

// Signature is X-Twilio-Signature for a request to rawURL with form
// params, signed with token: base64 of the HMAC-SHA1 of the URL followed
// by each parameter's name and value, sorted by name.
func Signature(token, rawURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(rawURL)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Test sends the webhook a signed request with params, by method (POST
// unless GET), and returns "" when it answered 200 with a TwiML document
// (root <Response>), else the WebhookFailed detail saying why.
func (w *WebhookTester) Test(ctx context.Context, rawURL, method, token string, params url.Values) string {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var req *http.Request
	var err error
	if strings.EqualFold(method, http.MethodGet) {
		u := rawURL
		if strings.Contains(u, "?") {
			u += "&" + params.Encode()
		} else {
			u += "?" + params.Encode()
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err == nil {
			req.Header.Set("X-Twilio-Signature", Signature(token, u, nil))
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(params.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", Signature(token, rawURL, params))
		}
	}
	if err != nil {
		return quest.DetailUnreachable
	}
	req.Header.Set("User-Agent", "TwilioProxy/1.1 (questgate webhook test)")
	resp, err := w.httpClient().Do(req)
	switch {
	case errors.Is(err, errPrivate):
		return quest.DetailPrivate
	case errors.Is(err, errRedirect):
		return quest.DetailRedirect
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		return quest.DetailTimeout
	case err != nil:
		return quest.DetailUnreachable
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return quest.DetailStatus
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookBody+1))
	if errors.Is(err, context.DeadlineExceeded) {
		return quest.DetailTimeout
	}
	if err != nil || len(body) > maxWebhookBody || !isTwiML(body) {
		return quest.DetailNotTwiML
	}
	return ""
}

// isTwiML reports whether body is an XML document whose root element is
// <Response>.
func isTwiML(body []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "Response" {
				return false
			}
			// The whole document must parse.
			for {
				if _, err := d.Token(); err == io.EOF {
					return true
				} else if err != nil {
					return false
				}
			}
		}
	}
}
