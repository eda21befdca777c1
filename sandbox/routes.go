package sandbox

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// maxRequestBody bounds what a request may post: a 1600-character body
// with ten media URLs is far below it.
const maxRequestBody = 256 << 10

// Echo path parameters. Echo's params stop at the next "/", so the
// ".json" suffix is part of the value and stripped by the handlers.
const (
	paramAccount = "account"
	paramSID     = "sid"
)

// Routes registers the sandbox's API on g, which the caller mounts at
// "/sandbox" (see the package doc for the list). All handlers write their
// own Twilio-shaped answers, errors included, so they do not depend on
// the caller's HTTPErrorHandler; unknown paths and methods under
// /2010-04-01 get Twilio's JSON 404 and 405 too.
//
// Every route takes one request from the client address's budget
// (Options.Requests) before anything else, and every route that stores
// something (messages, calls, inbound texts, keys) one write from its
// budget of writes (Options.Writes).
func (s *Sandbox) Routes(g *echo.Group) { s.routes(g, true) }

// routes registers the API on g. Public routes count against the client
// address's budgets; questgate's own, in process, do not.
func (s *Sandbox) routes(g *echo.Group, public bool) {
	wrap := func(h echo.HandlerFunc, writes bool) echo.HandlerFunc {
		h = s.delayed(h)
		if !public {
			return h
		}
		if writes {
			h = budgeted(s.writes, "this address has created too many messages, calls or keys; wait and try again.")(h)
		}
		return budgeted(s.requests, "this address has made too many requests; wait and try again.")(h)
	}
	route := func(path string, handlers map[string]echo.HandlerFunc) {
		// Registered first so that the methods below override it: any
		// other method on a known path is a 405, not echo's default.
		g.Any(path, wrap(func(c echo.Context) error { return writeError(c, errMethodNotAllowed) }, false))
		for method, h := range handlers {
			// Account creation has a budget of its own (NewAccounts).
			g.Add(method, path, wrap(h, method == http.MethodPost && path != "/accounts"))
		}
	}
	route("/accounts", map[string]echo.HandlerFunc{http.MethodPost: s.createAccount})

	accounts := apiRoot + "/Accounts/:" + paramAccount
	route(accounts, map[string]echo.HandlerFunc{
		http.MethodGet: s.authenticated(accountResourceOnly, s.fetchAccount),
	})
	route(accounts+"/Messages.json", map[string]echo.HandlerFunc{
		http.MethodGet:  s.authenticated(keysAllowed, s.listMessages),
		http.MethodPost: s.authenticated(keysAllowed, s.createMessage),
	})
	route(accounts+"/Messages/:"+paramSID, map[string]echo.HandlerFunc{
		http.MethodGet: s.authenticated(keysAllowed, s.fetchMessage),
	})
	route(accounts+"/Messages/:"+paramSID+"/Media.json", map[string]echo.HandlerFunc{
		http.MethodGet: s.authenticated(keysAllowed, s.listMedia),
	})
	route(accounts+"/Messages/:"+paramSID+"/Media/:"+paramMedia, map[string]echo.HandlerFunc{
		http.MethodGet: s.authenticated(keysAllowed, s.fetchMedia),
	})
	route(accounts+"/Calls.json", map[string]echo.HandlerFunc{
		http.MethodGet:  s.authenticated(keysAllowed, s.listCalls),
		http.MethodPost: s.authenticated(keysAllowed, s.createCall),
	})
	route(accounts+"/Calls/:"+paramSID, map[string]echo.HandlerFunc{
		http.MethodGet: s.authenticated(keysAllowed, s.fetchCall),
	})
	route("/accounts/:"+paramAccount+"/inbound", map[string]echo.HandlerFunc{
		http.MethodPost: s.authenticated(keysAllowed, s.inbound),
	})
	route(accounts+"/Keys.json", map[string]echo.HandlerFunc{
		http.MethodPost: s.authenticated(accountOnly, s.createKey),
	})
	s.productRoutes(route)
	notFoundHandler := wrap(func(c echo.Context) error { return writeError(c, notFound(apiPath(c))) }, false)
	g.Any(apiRoot, notFoundHandler)
	g.Any(apiRoot+"/*", notFoundHandler)
	g.Any(messagingRoot+"/*", notFoundHandler)
	g.Any(verifyRoot+"/*", notFoundHandler)
}

// delayed makes h answer after the sandbox's latency (Options.Latency).
// When the request's context ends first the client has gone: the request
// is dropped undone (no message created), as one cut on its way to Twilio.
func (s *Sandbox) delayed(h echo.HandlerFunc) echo.HandlerFunc {
	if s.latency <= 0 {
		return h
	}
	return func(c echo.Context) error {
		t := time.NewTimer(s.latency)
		defer t.Stop()
		select {
		case <-t.C:
			return h(c)
		case <-c.Request().Context().Done():
			return nil
		}
	}
}

// createAccount answers POST /accounts: a new account and its token,
// shown once. friendly_name may come as JSON or as a form field. Each
// client address may create only so many (Options.NewAccounts).
func (s *Sandbox) createAccount(c echo.Context) error {
	name, apiErr := friendlyNameParam(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	if _, err := cleanFriendlyName(name); err != nil {
		return writeError(c, errBadFriendly)
	}
	if ok, err := take(c, s.newAccounts, "this address has created too many sandbox accounts; wait and try again."); !ok {
		return err
	}
	a, err := s.CreateAccount(c.Request().Context(), name)
	if errors.Is(err, ErrInvalidFriendlyName) {
		return writeError(c, errBadFriendly)
	}
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusCreated, map[string]string{
		"account_sid":   a.SID,
		"auth_token":    a.AuthToken,
		"friendly_name": a.FriendlyName,
	})
}

func friendlyNameParam(c echo.Context) (string, *apiError) {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxRequestBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if ct == echo.MIMEApplicationJSON {
		var in struct {
			FriendlyName  string `json:"friendly_name"`
			FriendlyName2 string `json:"FriendlyName"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil && !errors.Is(err, io.EOF) {
			return "", newAPIError(http.StatusBadRequest, 20001, "The request body is not valid JSON.")
		}
		return cmp.Or(in.FriendlyName, in.FriendlyName2), nil
	}
	if err := r.ParseForm(); err != nil {
		return "", errBadForm
	}
	return cmp.Or(r.Form.Get("friendly_name"), r.Form.Get("FriendlyName")), nil
}

// guard says who may use a route and where its account SID is.
type guard struct {
	// keys lets API keys in: Twilio's Standard keys may not touch the
	// Account and Keys resources.
	keys bool
	// resource marks the Account resource itself, whose path parameter
	// carries the ".json" suffix ("/Accounts/AC….json").
	resource bool
	// noPath marks the products whose paths carry no account.
	noPath bool
}

var (
	accountResourceOnly = guard{resource: true}
	accountOnly         = guard{}
	keysAllowed         = guard{keys: true}
	// anyAccount is Messaging v1 and Verify v2, whose paths name no
	// account: the credentials say which.
	anyAccount = guard{keys: true, noPath: true}
)

// authKey is where authenticated stores the caller's account for the
// handler.
const authKey = "sandbox.account"

// authenticated wraps h with Twilio's HTTP Basic auth: the Account SID
// and its Auth Token, or (when the guard lets keys in) an API key SID of
// that account and its secret. Anything else, including good credentials
// for another account than the one in the path, is 401 20003. An Account
// path without ".json" is 404 first, since no such resource exists
// whoever asks.
func (s *Sandbox) authenticated(g guard, h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		pathAccount := c.Param(paramAccount)
		if g.resource {
			var ok bool
			if pathAccount, ok = strings.CutSuffix(pathAccount, ".json"); !ok {
				return writeError(c, notFound(apiPath(c)))
			}
		}
		user, pass, hasAuth := c.Request().BasicAuth()
		if !hasAuth {
			return writeError(c, errAuthenticate)
		}
		account, err := s.authenticate(c, user, pass, g.keys)
		if err != nil {
			var apiErr *apiError
			if errors.As(err, &apiErr) {
				return writeError(c, apiErr)
			}
			return fail(c, err)
		}
		if !g.noPath && account.SID != pathAccount {
			return writeError(c, errAuthenticate)
		}
		c.Set(authKey, account)
		return h(c)
	}
}

// dummySecret is compared against when the user is unknown, so that
// unknown and known users take the same time to refuse.
var dummySecret = []byte(newSecret())

// authenticate returns the account that user and pass prove, or
// errAuthenticate.
func (s *Sandbox) authenticate(c echo.Context, user, pass string, keys bool) (store.SandboxAccount, error) {
	ctx := c.Request().Context()
	match := func(secret string) bool {
		return subtle.ConstantTimeCompare([]byte(secret), []byte(pass)) == 1
	}
	switch {
	case accountSIDPattern.MatchString(user):
		a, err := s.st.SandboxAccount(ctx, user)
		if errors.Is(err, quest.ErrNotFound) {
			match(string(dummySecret))
			return store.SandboxAccount{}, errAuthenticate
		}
		if err != nil {
			return store.SandboxAccount{}, fmt.Errorf("look up account: %w", err)
		}
		if !match(a.AuthToken) {
			return store.SandboxAccount{}, errAuthenticate
		}
		return a, nil
	case keySIDPattern.MatchString(user):
		k, err := s.st.SandboxKey(ctx, user)
		if errors.Is(err, quest.ErrNotFound) {
			match(string(dummySecret))
			return store.SandboxAccount{}, errAuthenticate
		}
		if err != nil {
			return store.SandboxAccount{}, fmt.Errorf("look up key: %w", err)
		}
		if !match(k.Secret) || !keys {
			return store.SandboxAccount{}, errAuthenticate
		}
		a, err := s.st.SandboxAccount(ctx, k.AccountSID)
		if err != nil {
			return store.SandboxAccount{}, fmt.Errorf("look up account of key: %w", err)
		}
		return a, nil
	}
	return store.SandboxAccount{}, errAuthenticate
}

func authAccount(c echo.Context) store.SandboxAccount {
	a, _ := c.Get(authKey).(store.SandboxAccount)
	return a
}

// accountResource is the JSON of api.v2010.account.
type accountResource struct {
	AuthToken       string            `json:"auth_token"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	FriendlyName    string            `json:"friendly_name"`
	OwnerAccountSID string            `json:"owner_account_sid"`
	SID             string            `json:"sid"`
	Status          string            `json:"status"`
	SubresourceURIs map[string]string `json:"subresource_uris"`
	Type            string            `json:"type"`
	URI             string            `json:"uri"`
}

func (s *Sandbox) fetchAccount(c echo.Context) error {
	a := authAccount(c)
	base := apiRoot + "/Accounts/" + a.SID
	return writeJSON(c, http.StatusOK, accountResource{
		AuthToken:       a.AuthToken,
		DateCreated:     rfc2822(a.CreatedAt),
		DateUpdated:     rfc2822(a.CreatedAt),
		FriendlyName:    a.FriendlyName,
		OwnerAccountSID: a.SID,
		SID:             a.SID,
		Status:          "active",
		SubresourceURIs: map[string]string{
			"messages": base + "/Messages.json",
			"calls":    base + "/Calls.json",
			"keys":     base + "/Keys.json",
		},
		Type: "Full",
		URI:  base + ".json",
	})
}

// postForm parses a form body, bounded, answering 400 when it cannot be
// read.
func postForm(c echo.Context) (url.Values, *apiError) {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		return nil, errBadForm
	}
	return r.PostForm, nil
}

func (s *Sandbox) createMessage(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	nm, apiErr := parseNewMessage(form)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	if ok, err := s.takeQuota(c, store.SandboxUse{Messages: 1, Media: nm.media}); !ok {
		return err
	}
	prefix := "SM"
	if nm.media > 0 {
		prefix = "MM"
	}
	now := s.now()
	m, err := s.st.CreateSandboxMessage(c.Request().Context(), store.SandboxMessage{
		SID:                 newSID(prefix),
		AccountSID:          authAccount(c).SID,
		Direction:           directionOutboundAPI,
		From:                nm.from,
		To:                  nm.to,
		Body:                nm.body,
		NumMedia:            nm.media,
		MessagingServiceSID: nm.service,
		FinalStatus:         nm.final,
		ErrorCode:           nm.code,
		CreatedAt:           now.UTC(),
		Media:               mediaOf(nm.mediaURLs),
	})
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusCreated, s.render(m, now))
}

func (s *Sandbox) fetchMessage(c echo.Context) error {
	sid, ok := strings.CutSuffix(c.Param(paramSID), ".json")
	if !ok || !messageSIDPattern.MatchString(sid) {
		return writeError(c, notFound(apiPath(c)))
	}
	m, err := s.st.SandboxMessage(c.Request().Context(), authAccount(c).SID, sid)
	if errors.Is(err, quest.ErrNotFound) {
		return writeError(c, notFound(apiPath(c)))
	}
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusOK, s.render(m, s.now()))
}

// Paging limits of Twilio's list resources.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
	maxPage         = 1 << 20
)

// listPage is the paging part of every Twilio list envelope; each list
// adds its items under its own name (messages, calls, media_list).
type listPage struct {
	End             int     `json:"end"`
	FirstPageURI    string  `json:"first_page_uri"`
	NextPageURI     *string `json:"next_page_uri"`
	Page            int     `json:"page"`
	PageSize        int     `json:"page_size"`
	PreviousPageURI *string `json:"previous_page_uri"`
	Start           int     `json:"start"`
	URI             string  `json:"uri"`
}

// messageList is Twilio's list envelope for messages.
type messageList struct {
	listPage
	Messages []messageResource `json:"messages"`
}

func (s *Sandbox) listMessages(c echo.Context) error {
	if apiErr := knownFilters(c, pagingParams(append([]string{"To", "From"}, messageTimeFilters...)...)); apiErr != nil {
		return writeError(c, apiErr)
	}
	p, apiErr := parsePaging(c, "/Messages.json")
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	q := c.QueryParams()
	sent, apiErr := parseTimeFilter(q, "DateSent")
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	p.extra = filterQuery(q, messageTimeFilters)
	f := store.SandboxMessageFilter{AccountSID: authAccount(c).SID, To: p.to, From: p.from, Offset: p.page * p.size, Limit: p.size + 1}
	if sent.active() {
		// date_sent follows the message's age: filter what is rendered.
		// The account's quota bounds how many messages that reads.
		f.Offset, f.Limit = 0, 0
	}
	msgs, err := s.st.SandboxMessages(c.Request().Context(), f)
	if err != nil {
		return fail(c, err)
	}
	now := s.now()
	all := make([]messageResource, 0, len(msgs))
	for _, m := range msgs {
		all = append(all, s.render(m, now))
	}
	var page []messageResource
	var more bool
	if sent.active() {
		page, more = filteredPage(all, func(m messageResource) bool { return sent.keeps(m.DateSent) }, p)
	} else {
		more = len(all) > p.size
		page = all[:min(len(all), p.size)]
	}
	out := messageList{listPage: p.envelope(len(page), more), Messages: page}
	if out.Messages == nil {
		out.Messages = []messageResource{}
	}
	return writeJSON(c, http.StatusOK, out)
}

// keyResource is the JSON of api.v2010.account.new_key: the secret is
// shown only in this answer, as on Twilio.
type keyResource struct {
	SID          string `json:"sid"`
	FriendlyName string `json:"friendly_name"`
	DateCreated  string `json:"date_created"`
	DateUpdated  string `json:"date_updated"`
	Secret       string `json:"secret"`
}

func (s *Sandbox) createKey(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	name, err := cleanFriendlyName(form.Get("FriendlyName"))
	if err != nil {
		return writeError(c, errBadFriendly)
	}
	if ok, err := s.takeQuota(c, store.SandboxUse{Keys: 1}); !ok {
		return err
	}
	k, err := s.st.CreateSandboxKey(c.Request().Context(), store.SandboxKey{
		SID: newSID("SK"), AccountSID: authAccount(c).SID, Secret: newSecret(),
		FriendlyName: name, CreatedAt: s.now().UTC(),
	})
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusCreated, keyResource{
		SID:          k.SID,
		FriendlyName: k.FriendlyName,
		DateCreated:  rfc2822(k.CreatedAt),
		DateUpdated:  rfc2822(k.CreatedAt),
		Secret:       k.Secret,
	})
}
