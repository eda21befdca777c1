package sandbox

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// Call statuses, as Twilio spells them.
const (
	callQueued     = "queued"
	callRinging    = "ringing"
	callInProgress = "in-progress"
	callCompleted  = "completed"
	callFailed     = "failed"
	callNoAnswer   = "no-answer"
)

// magicCallTo maps the magic 'To' numbers of calls (see the package doc):
// the same numbers as for messages, with a call's outcomes.
var magicCallTo = map[string]fate{
	"+15005550001": {refuse: newAPIError(http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: +15005550001")},
	"+15005550004": {final: callFailed},
	"+15005550009": {final: callNoAnswer},
}

var (
	errCallMissingTo   = newAPIError(http.StatusBadRequest, 21201, "No 'To' number is specified")
	errCallMissingFrom = newAPIError(http.StatusBadRequest, 21213, "No 'From' number is specified")
	errCallMissingURL  = newAPIError(http.StatusBadRequest, 21205, "A 'Url', 'Twiml' or 'ApplicationSid' parameter is required.")
)

// maxTwiml is Twilio's limit on an inline Twiml parameter.
const maxTwiml = 4000

// newCall is a validated create-call request.
type newCall struct {
	to, from, final string
	// lasts is how long the call lasts once answered (callDuration).
	lasts time.Duration
}

// parseNewCall validates a create-call form, first problem first. The
// TwiML (Url, Twiml or ApplicationSid) is required, as on Twilio, but
// never fetched nor run: nothing is ever dialled.
func parseNewCall(form url.Values) (newCall, *apiError) {
	c := newCall{to: strings.TrimSpace(form.Get("To")), from: strings.TrimSpace(form.Get("From")), final: callCompleted}
	switch {
	case c.to == "":
		return c, errCallMissingTo
	case !validTo(c.to) && !strings.HasPrefix(c.to, "client:"):
		return c, newAPIError(http.StatusBadRequest, 21211, "Invalid 'To' Phone Number: "+c.to)
	}
	if f := magicCallTo[c.to]; f.refuse != nil {
		return c, f.refuse
	}
	switch {
	case c.from == "":
		return c, errCallMissingFrom
	case !validTo(c.from) && !strings.HasPrefix(c.from, "client:"):
		return c, newAPIError(http.StatusBadRequest, 21212, "Invalid 'From' Phone Number: "+c.from)
	}
	twiml, u, app := form.Get("Twiml"), strings.TrimSpace(form.Get("Url")), strings.TrimSpace(form.Get("ApplicationSid"))
	switch {
	case twiml == "" && u == "" && app == "":
		return c, errCallMissingURL
	case u != "" && !validMediaURL(u):
		return c, newAPIError(http.StatusBadRequest, 21205, "Url is not a valid URL: "+u)
	case len(twiml) > maxTwiml:
		return c, newAPIError(http.StatusBadRequest, 21220, "Twiml exceeds the 4000 character limit.")
	}
	if f := magicCallTo[c.to]; f.final != "" {
		c.final = f.final
	}
	c.lasts = callDuration(twiml)
	return c, nil
}

// Durations of sandbox calls: nothing is dialled, so a call lasts what
// its TwiML would take to play. A Url or an ApplicationSid is never
// fetched: such a call lasts urlCallDuration.
const (
	urlCallDuration = 12 * time.Second
	maxCallDuration = 4 * time.Hour // Twilio ends a call after four hours
	wordsPerMinute  = 150           // <Say>'s pace, roughly
	playDuration    = 5 * time.Second
)

// callDuration is how long a call running twiml would last: one second
// to answer, its <Say> text at wordsPerMinute, its <Pause> lengths
// (1 s by default) and playDuration per <Play>, within 1 s and
// maxCallDuration. TwiML that does not parse still rings for a second.
func callDuration(twiml string) time.Duration {
	if twiml == "" {
		return urlCallDuration
	}
	d := time.Second
	dec := xml.NewDecoder(strings.NewReader(twiml))
	say := 0 // depth inside <Say>
	for d < maxCallDuration {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "Say":
				say++
			case "Play":
				d += playDuration
			case "Pause":
				n := 1
				for _, a := range t.Attr {
					if a.Name.Local == "length" {
						if v, err := strconv.Atoi(a.Value); err == nil && v >= 0 {
							n = min(v, int(maxCallDuration/time.Second))
						}
					}
				}
				d += time.Duration(n) * time.Second
			}
		case xml.EndElement:
			if t.Name.Local == "Say" && say > 0 {
				say--
			}
		case xml.CharData:
			if say > 0 {
				words := len(strings.Fields(string(t)))
				d += time.Duration(words) * time.Minute / wordsPerMinute
			}
		}
	}
	return min(d.Round(time.Second), maxCallDuration)
}

// callResource is the JSON of api.v2010.account.call.
type callResource struct {
	AccountSID      string            `json:"account_sid"`
	AnsweredBy      *string           `json:"answered_by"`
	APIVersion      string            `json:"api_version"`
	CallerName      *string           `json:"caller_name"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	Direction       string            `json:"direction"`
	Duration        *string           `json:"duration"`
	EndTime         *string           `json:"end_time"`
	ForwardedFrom   *string           `json:"forwarded_from"`
	From            string            `json:"from"`
	FromFormatted   string            `json:"from_formatted"`
	GroupSID        *string           `json:"group_sid"`
	ParentCallSID   *string           `json:"parent_call_sid"`
	PhoneNumberSID  *string           `json:"phone_number_sid"`
	Price           *string           `json:"price"`
	PriceUnit       string            `json:"price_unit"`
	QueueTime       string            `json:"queue_time"`
	SID             string            `json:"sid"`
	StartTime       *string           `json:"start_time"`
	Status          string            `json:"status"`
	SubresourceURIs map[string]string `json:"subresource_uris"`
	To              string            `json:"to"`
	ToFormatted     string            `json:"to_formatted"`
	TrunkSID        *string           `json:"trunk_sid"`
	URI             string            `json:"uri"`
}

// renderCall shows c as it stands at now. A call that gets through goes
// queued → ringing → in-progress → completed, one Step each; one that
// fails ends at the first step, and one nobody answers after ringing.
func (s *Sandbox) renderCall(c store.SandboxCall, now time.Time) callResource {
	base := apiRoot + "/Accounts/" + c.AccountSID + "/Calls/" + c.SID
	r := callResource{
		AccountSID:    c.AccountSID,
		APIVersion:    apiVersion,
		DateCreated:   rfc2822(c.CreatedAt),
		DateUpdated:   rfc2822(c.CreatedAt),
		Direction:     c.Direction,
		From:          c.From,
		FromFormatted: c.From,
		PriceUnit:     "USD",
		QueueTime:     "0",
		SID:           c.SID,
		Status:        callQueued,
		SubresourceURIs: map[string]string{
			"notifications": base + "/Notifications.json",
			"recordings":    base + "/Recordings.json",
			"events":        base + "/Events.json",
		},
		To:          c.To,
		ToFormatted: c.To,
		URI:         base + ".json",
	}
	at := func(steps int) time.Time { return c.CreatedAt.Add(time.Duration(steps) * s.step) }
	age := now.Sub(c.CreatedAt)
	steps := int(age / s.step)
	switch {
	case steps < 1:
		return r
	case c.FinalStatus == callFailed:
		r.Status, r.DateUpdated = callFailed, rfc2822(at(1))
		return r
	case steps < 2:
		r.Status, r.DateUpdated = callRinging, rfc2822(at(1))
		return r
	case c.FinalStatus == callNoAnswer:
		r.Status, r.DateUpdated = callNoAnswer, rfc2822(at(2))
		return r
	}
	r.StartTime = nullable(rfc2822(at(2)))
	if steps < 3 {
		r.Status, r.DateUpdated = callInProgress, rfc2822(at(2))
		return r
	}
	r.Status, r.DateUpdated = c.FinalStatus, rfc2822(at(3))
	// The call lasted what its TwiML takes (a call placed before that was
	// kept, one step): its end time follows from its start.
	lasted := c.Duration
	if lasted <= 0 {
		lasted = max(s.step.Truncate(time.Second), time.Second)
	}
	r.EndTime = nullable(rfc2822(at(2).Add(lasted)))
	r.Duration = nullable(strconv.Itoa(int(lasted / time.Second)))
	return r
}

var callSIDPattern = regexp.MustCompile(`^CA[0-9a-f]{32}$`)

// paging is a list request's page, filters and the URIs of its pages.
type paging struct {
	size, page int
	to, from   string
	path       string // the list's URI without query
	// extra are the list's other filters, kept in its paging URIs.
	extra url.Values
}

// parsePaging reads PageSize, Page, To and From as Twilio's list
// resources do; resource is the list's last path element ("/Calls.json").
func parsePaging(c echo.Context, resource string) (paging, *apiError) {
	q := c.QueryParams()
	p := paging{size: defaultPageSize, to: q.Get("To"), from: q.Get("From"),
		path: apiRoot + "/Accounts/" + authAccount(c).SID + resource}
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, invalidParameter("PageSize", v)
		}
		p.size = min(n, maxPageSize)
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxPage {
			return p, invalidParameter("Page", v)
		}
		p.page = n
	}
	return p, nil
}

// envelope is the paging part of the answer for this page, which holds n
// items; more says whether another page follows.
func (p paging) envelope(n int, more bool) listPage {
	lp := listPage{FirstPageURI: p.uri(0), Page: p.page, PageSize: p.size, Start: p.page * p.size, URI: p.uri(p.page)}
	lp.End = lp.Start + max(n-1, 0)
	if more {
		lp.NextPageURI = nullable(p.uri(p.page + 1))
	}
	if p.page > 0 {
		lp.PreviousPageURI = nullable(p.uri(p.page - 1))
	}
	return lp
}

// uri is the address of page n of the list.
func (p paging) uri(n int) string {
	v := make([]string, 0, 4)
	if p.to != "" {
		v = append(v, "To="+url.QueryEscape(p.to))
	}
	if p.from != "" {
		v = append(v, "From="+url.QueryEscape(p.from))
	}
	if len(p.extra) > 0 {
		v = append(v, p.extra.Encode())
	}
	v = append(v, "PageSize="+strconv.Itoa(p.size), "Page="+strconv.Itoa(n))
	return p.path + "?" + strings.Join(v, "&")
}

func (s *Sandbox) createCall(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	nc, apiErr := parseNewCall(form)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	if ok, err := s.takeQuota(c, store.SandboxUse{Calls: 1}); !ok {
		return err
	}
	now := s.now()
	call, err := s.st.CreateSandboxCall(c.Request().Context(), store.SandboxCall{
		SID: newSID("CA"), AccountSID: authAccount(c).SID, Direction: directionOutboundAPI,
		From: nc.from, To: nc.to, FinalStatus: nc.final, CreatedAt: now.UTC(), Duration: nc.lasts,
	})
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusCreated, s.renderCall(call, now))
}

func (s *Sandbox) fetchCall(c echo.Context) error {
	sid, ok := strings.CutSuffix(c.Param(paramSID), ".json")
	if !ok || !callSIDPattern.MatchString(sid) {
		return writeError(c, notFound(apiPath(c)))
	}
	call, err := s.st.SandboxCall(c.Request().Context(), authAccount(c).SID, sid)
	if errors.Is(err, quest.ErrNotFound) {
		return writeError(c, notFound(apiPath(c)))
	}
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusOK, s.renderCall(call, s.now()))
}

// callList is Twilio's list envelope for calls.
type callList struct {
	listPage
	Calls []callResource `json:"calls"`
}

func (s *Sandbox) listCalls(c echo.Context) error {
	if apiErr := knownFilters(c, pagingParams(append([]string{"To", "From"}, callFilters...)...)); apiErr != nil {
		return writeError(c, apiErr)
	}
	p, apiErr := parsePaging(c, "/Calls.json")
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	q := c.QueryParams()
	started, apiErr := parseTimeFilter(q, "StartTime")
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	ended, apiErr := parseTimeFilter(q, "EndTime")
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	status, parent := q.Get("Status"), q.Get("ParentCallSid")
	p.extra = filterQuery(q, callFilters)
	// Status and times follow a call's age: filter what is rendered, over
	// the account's calls (its quota bounds how many).
	calls, err := s.st.SandboxCalls(c.Request().Context(), store.SandboxMessageFilter{
		AccountSID: authAccount(c).SID, To: p.to, From: p.from,
	})
	if err != nil {
		return fail(c, err)
	}
	now := s.now()
	all := make([]callResource, 0, len(calls))
	for _, call := range calls {
		all = append(all, s.renderCall(call, now))
	}
	page, more := filteredPage(all, func(r callResource) bool {
		// The sandbox's calls have no parent: a ParentCallSid filter
		// matches none of them.
		return (status == "" || r.Status == status) && parent == "" && started.keeps(r.StartTime) && ended.keeps(r.EndTime)
	}, p)
	out := callList{listPage: p.envelope(len(page), more), Calls: page}
	if out.Calls == nil {
		out.Calls = []callResource{}
	}
	return writeJSON(c, http.StatusOK, out)
}
