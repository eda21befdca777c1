package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Prefix is where Server and InProcess mount the sandbox's routes, and
// where callers are expected to mount Routes in their own Echo: the API
// base that replaces https://api.twilio.com is http(s)://host + Prefix.
const Prefix = "/sandbox"

// newEcho returns a bare Echo serving the sandbox at Prefix, answering
// every error in Twilio's JSON shape. limited says whether requests count
// against the per-address budget (Options.Requests): not questgate's own,
// in process.
func newEcho(s *Sandbox, limited bool) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler
	// Only the connection's address counts: X-Forwarded-For and X-Real-IP,
	// which echo believes by default, would let anyone dodge the limits.
	e.IPExtractor = echo.ExtractIPDirect()
	s.routes(e.Group(Prefix), limited)
	return e
}

// Server returns an Echo ready to serve the sandbox on its own (the
// `questgate sandbox --addr :8081` command), with the API at Prefix and a
// GET / that tells whoever opens it in a browser where the API is and how
// to get an account.
func Server(s *Sandbox) *echo.Echo {
	e := newEcho(s, true)
	e.Use(recoverPanics)
	e.GET("/", welcome)
	return e
}

// recoverPanics turns a handler panic into a Twilio 500 instead of a
// dropped connection. (echo's middleware package would need a module
// questgate does not otherwise require.)
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return next(c)
	}
}

func welcome(c echo.Context) error {
	base := c.Scheme() + "://" + c.Request().Host + Prefix
	info := map[string]string{
		"name":            "questgate Twilio sandbox",
		"api_base":        base,
		"replaces":        "https://api.twilio.com",
		"create_account":  "POST " + base + "/accounts",
		"send_message":    "POST " + base + apiRoot + "/Accounts/{AccountSid}/Messages.json",
		"authentication":  "HTTP Basic: Account SID and Auth Token, or API key SID and secret",
		"no_real_traffic": "nothing sent here ever reaches a phone",
	}
	if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON) {
		return writeJSON(c, http.StatusOK, info)
	}
	text := fmt.Sprintf(`questgate Twilio sandbox

Use %[1]s wherever you would use https://api.twilio.com.
Nothing sent here ever reaches a phone.

Get an account:
  curl -X POST %[1]s/accounts

Send a message:
  curl -X POST %[1]s%[2]s/Accounts/$ACCOUNT_SID/Messages.json \
    --data-urlencode "From=+15017122661" \
    --data-urlencode "Body=Hello" \
    --data-urlencode "To=+15558675310" \
    -u $ACCOUNT_SID:$AUTH_TOKEN
`, base, apiRoot)
	return c.String(http.StatusOK, text)
}

// InProcess returns a RoundTripper that answers requests with the
// sandbox in memory, so questgate can check a sandbox account's messages
// with the same Twilio client code it uses for Twilio, without listening
// on or dialing any socket. Scheme and host are ignored; a path outside
// Prefix gets Prefix added, so the transport can sit directly under a
// Twilio helper library that asks https://api.twilio.com/2010-04-01/….
//
// It honours the request's context: a cancelled or expired context
// returns ctx.Err() and no response, as net/http's transport does.
func InProcess(s *Sandbox) http.RoundTripper { return &inProcess{h: newEcho(s, false)} }

type inProcess struct{ h http.Handler }

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// Read the body up front (bounded) and close it, as a RoundTripper
	// must, so the handler never shares the caller's reader.
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBody+1))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sandbox: read request body: %w", err)
		}
		body = b
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	in := req.Clone(ctx)
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.GetBody = nil
	if !strings.HasPrefix(in.URL.Path, Prefix+"/") && in.URL.Path != Prefix {
		in.URL.Path = Prefix + in.URL.Path
		if in.URL.RawPath != "" {
			in.URL.RawPath = Prefix + in.URL.RawPath
		}
	}
	in.RequestURI = in.URL.RequestURI()
	in.Host = req.URL.Host
	in.RemoteAddr = "127.0.0.1:0"
	if in.Proto == "" {
		in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	}

	rec := &recorder{header: http.Header{}}
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		t.h.ServeHTTP(rec, in)
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case p := <-done:
		if p != nil {
			return nil, fmt.Errorf("sandbox: handler panicked: %v", p)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err // the handler saw the cancellation too
	}

	rec.WriteHeader(http.StatusOK) // no-op unless the handler wrote nothing
	code := rec.code
	out := rec.body.Bytes()
	if req.Method == http.MethodHead {
		out = nil
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.sent,
		Body:          io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)),
		Request:       req,
	}, nil
}

// recorder is the in-memory ResponseWriter of InProcess. Only the
// handler goroutine touches it until RoundTrip has seen it finish.
type recorder struct {
	header http.Header
	sent   http.Header // header as it was when the status was written
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
		r.sent = r.header.Clone()
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
