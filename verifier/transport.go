package verifier

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// maxBody bounds what is read from Twilio: a message is a few KB, so
	// anything bigger is a broken upstream, not a reason to use memory.
	maxBody = 1 << 20
	// maxErrorBody bounds an error page read in full so that its
	// connection can be reused (twilio-go never closes error bodies).
	maxErrorBody = 64 << 10
)

// defaultHost is the host of DefaultBaseURL.
const defaultHost = "api.twilio.com"

// productPrefixes map the hosts of Twilio's products other than the 2010
// API to the path prefix a Twilio-compatible server (questgate's sandbox)
// serves them under, beside /2010-04-01: one --twilio-api-url reaches
// them all. The 2010 API's own host has no prefix.
var productPrefixes = map[string]string{
	"messaging.twilio.com": "/messaging",
	"verify.twilio.com":    "/verify",
}

// newTransport returns the transport shared by every call when Options has
// none: the default transport's proxy, dial and TLS settings, with more idle
// connections kept per host, since every call goes to the same host and a
// classroom submits in bursts (the default keeps 2, so a burst would open,
// and TLS-handshake, a connection per request). Its buffers are smaller
// than the default 4 KiB each way: a fetch writes a GET of a few hundred
// bytes and reads an answer of a few kilobytes, and over HTTP/1 a thousand
// verifications in flight hold a connection, and its buffers, each.
func newTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true,
			TLSHandshakeTimeout: 10 * time.Second}
	}
	t = t.Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 50
	t.IdleConnTimeout = 90 * time.Second
	t.WriteBufferSize = 1 << 10
	t.ReadBufferSize = 2 << 10
	return t
}

// callTransport serves one verification. twilio-go builds its requests with
// context.Background() and a fixed https://api.twilio.com base, and hides
// the response status and headers; this round tripper, wrapping the shared
// transport, applies the verification's context (so cancelling it or its
// deadline aborts the call), sends the request to the configured base URL
// (keeping its path prefix), and records what twilio-go does not expose.
// It is used by a single goroutine, and read after the call returns.
type callTransport struct {
	ctx  context.Context
	base *url.URL
	next http.RoundTripper
	// products is true when base is not Twilio's own API host: twilio-go's
	// requests to Twilio's product hosts (messaging.twilio.com, …) then go
	// to base under the product's path prefix (productPrefixes). Against
	// Twilio itself they keep their own host.
	products bool

	// Filled by RoundTrip: the last URL tried, and the last response's
	// status (zero when no response came) and Retry-After; then by the
	// body's reader: the error that cut a successful answer's body short
	// (a reset connection, a timeout), which twilio-go reports only as a
	// decoding error.
	url        string
	status     int
	retryAfter time.Duration
	bodyErr    error
}

func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A shallow copy with its own URL: the headers are not changed, and
	// a deep clone of them was garbage held for the whole fetch.
	r := req.WithContext(t.ctx)
	u := *req.URL
	r.URL = &u
	prefix, product := productPrefixes[req.URL.Host]
	switch {
	case product && !t.products:
		// Twilio itself: the product's own host, over https.
		r.URL.Scheme = "https"
	default:
		r.URL.Scheme = t.base.Scheme
		r.URL.Host = t.base.Host
		if t.base.RawPath != "" {
			r.URL.RawPath = t.base.RawPath + prefix + req.URL.EscapedPath()
		} else {
			r.URL.RawPath = ""
		}
		r.URL.Path = t.base.Path + prefix + req.URL.Path
	}
	r.Host = "" // the Host header follows the new URL
	t.url = r.URL.Redacted()

	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.status = resp.StatusCode
	t.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	body := resp.Body
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{&recordingReader{r: io.LimitReader(body, maxBody), err: &t.bodyErr}, body}
		return resp, nil
	}
	// twilio-go decodes error bodies but never closes them: read the page
	// here and close it, so the connection goes back to the pool.
	data, err := io.ReadAll(io.LimitReader(body, maxErrorBody))
	body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}

// recordingReader keeps the first error, other than io.EOF, its reader
// returns.
type recordingReader struct {
	r   io.Reader
	err *error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && *r.err == nil {
		*r.err = err
	}
	return n, err
}

// parseRetryAfter reads a Retry-After header: a number of seconds or an
// HTTP date. It returns zero when the header is absent, malformed or past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(24 * time.Hour / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now).Round(time.Second), 24*time.Hour)
	}
	return 0
}
