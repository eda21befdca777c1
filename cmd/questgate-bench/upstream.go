package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/questgate/questgate/sandbox"
	"github.com/questgate/questgate/store"
)

// upstream is the Twilio both questgate and the direct baseline talk to:
// a sandbox served over HTTP from the bench process, on its own SQLite
// file. Living here, it can count the message fetches it answers, which
// is how the bench knows how many times questgate asked Twilio, and its
// latency can change between scenarios without a restart.
type upstream struct {
	st    *store.Store
	setup *sandbox.Sandbox // latency 0: accounts and messages are made in process
	srv   *http.Server
	base  string // API base, http://127.0.0.1:port/sandbox

	mu       sync.Mutex
	handlers map[time.Duration]http.Handler
	current  atomic.Pointer[http.Handler]

	fetches     atomic.Int64 // GET of one message
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

func startUpstream(ctx context.Context, dir string) (*upstream, error) {
	st, err := store.Open(ctx, filepath.Join(dir, "upstream.db"))
	if err != nil {
		return nil, fmt.Errorf("upstream store: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("upstream listen: %w", err)
	}
	u := &upstream{st: st, setup: sandbox.New(st, sandbox.Options{}), handlers: map[time.Duration]http.Handler{},
		base: "http://" + ln.Addr().String() + sandbox.Prefix}
	u.setLatency(0)
	u.srv = &http.Server{Handler: u, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = u.srv.Serve(ln) }()
	return u, nil
}

func (u *upstream) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
	u.st.Close()
}

// setLatency makes every later answer wait d, with the sandbox's own
// Latency option.
func (u *upstream) setLatency(d time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	h, ok := u.handlers[d]
	if !ok {
		h = sandbox.Server(sandbox.New(u.st, sandbox.Options{Latency: d}))
		u.handlers[d] = h
	}
	u.current.Store(&h)
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && isMessageFetch(r.URL.Path) {
		u.fetches.Add(1)
	}
	n := u.inFlight.Add(1)
	defer u.inFlight.Add(-1)
	for {
		m := u.maxInFlight.Load()
		if n <= m || u.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	(*u.current.Load()).ServeHTTP(w, r)
}

// isMessageFetch tells GET …/Messages/SM….json, the call a verification
// makes, from the rest (credential checks fetch the account).
func isMessageFetch(path string) bool {
	i := strings.LastIndex(path, "/Messages/")
	return i >= 0 && strings.HasSuffix(path, ".json") && !strings.Contains(path[i+len("/Messages/"):], "/")
}

// newPlayerAccount creates a sandbox account and sends one message from
// it, in process: setup, not measured.
func (u *upstream) newPlayerAccount(ctx context.Context, n int) (sandbox.Account, string, error) {
	acc, err := u.setup.CreateAccount(ctx, fmt.Sprintf("bench player %d", n))
	if err != nil {
		return sandbox.Account{}, "", err
	}
	api := twilioAPI(acc, sandbox.InProcess(u.setup))
	msg, err := api.CreateMessage((&openapi.CreateMessageParams{}).SetPathAccountSid(acc.SID).
		SetFrom("+15017122661").SetTo("+15558675310").SetBody(fmt.Sprintf("Hello from bench player %d", n)))
	if err != nil {
		return sandbox.Account{}, "", fmt.Errorf("send a message: %w", err)
	}
	if msg.Sid == nil {
		return sandbox.Account{}, "", errors.New("send a message: no SID in the answer")
	}
	return acc, *msg.Sid, nil
}

// twilioAPI is twilio-go's API service for acc, as questgate's verifier
// builds it: a bare RequestHandler, one small client per use.
func twilioAPI(acc sandbox.Account, rt http.RoundTripper) *openapi.ApiService {
	c := &client.Client{
		Credentials: client.NewCredentials(acc.SID, acc.AuthToken),
		HTTPClient: &http.Client{Transport: rt, Timeout: time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	c.SetAccountSid(acc.SID)
	return openapi.NewApiService(&client.RequestHandler{Client: c})
}

// direct is the physical limit: twilio-go fetching a message straight
// from the upstream, with nothing in between.
type direct struct {
	rt http.RoundTripper
}

func newDirect(base string, maxConns int) (*direct, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	return &direct{rt: rewrite{base: u, next: newTransport(maxConns)}}, nil
}

func (d *direct) fetch(acc sandbox.Account, sid string) error {
	msg, err := twilioAPI(acc, d.rt).FetchMessage(sid, &openapi.FetchMessageParams{PathAccountSid: &acc.SID})
	if err != nil {
		return err
	}
	if msg.Sid == nil || *msg.Sid != sid {
		return fmt.Errorf("fetch %s: another message came back", sid)
	}
	return nil
}

// rewrite sends what twilio-go addresses to https://api.twilio.com to
// the upstream instead; twilio-go has no base-URL setting.
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rw.base.Scheme, rw.base.Host
	r.URL.Path = rw.base.Path + r.URL.Path
	r.URL.RawPath = ""
	r.Host = rw.base.Host
	return rw.next.RoundTrip(r)
}

// newTransport keeps enough idle connections for every concurrent
// request: a load generator must not measure its own connection churn.
func newTransport(maxConns int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxConns + 16
	t.MaxIdleConnsPerHost = maxConns + 16
	t.IdleConnTimeout = 5 * time.Minute
	return t
}
