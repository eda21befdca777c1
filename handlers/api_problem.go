package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// MIMEProblem is the media type of the API's errors (RFC 9457).
const MIMEProblem = "application/problem+json"

// problemTypeBase prefixes a problem's reason code to make its type URI.
// A URN, not a URL: the type identifies the problem; docs/games.md
// explains every reason.
const problemTypeBase = "urn:questgate:problem:"

// Problem is an API error as RFC 9457 problem details, with reason, one of
// verifier's reason codes or the API's own (the api.problem.* messages),
// for programs. Title and Detail are localised from Reason; handlers
// return a *Problem as their error and the error handler renders it.
type Problem struct {
	Status int
	Reason string
	// Data fills the localised messages' placeholders.
	Data map[string]any
	// RetryAfter sets the Retry-After header when positive.
	RetryAfter time.Duration
	// SubmissionID names the recorded attempt, when there is one.
	SubmissionID int64
	// Err is the cause, for the log only.
	Err error
	// Verdict, when the problem is a verdict (Reason is a reason code),
	// gives the title, the detail and the next step, as the pages show
	// them. A reason code without one is presented from the code alone.
	Verdict *templates.Verdict
}

func (p *Problem) Error() string {
	if p.Err != nil {
		return p.Reason + ": " + p.Err.Error()
	}
	return p.Reason
}

func (p *Problem) Unwrap() error { return p.Err }

// problemBody is a problem as it goes over the wire.
type problemBody struct {
	Type         string `json:"type"`
	Title        string `json:"title"`
	Status       int    `json:"status"`
	Detail       string `json:"detail"`
	Instance     string `json:"instance,omitempty"`
	Reason       string `json:"reason"`
	RequestID    string `json:"request_id,omitempty"`
	RetryAfter   int    `json:"retry_after,omitempty"`
	SubmissionID int64  `json:"submission_id,omitempty"`
	// NextStep is a verdict's next step (an extension member).
	NextStep *APINextStep `json:"next_step,omitempty"`
}

// httpReasons names the reason of the problems made from plain HTTP
// errors (no route, body too large, refused by a limit).
var httpReasons = map[int]string{
	http.StatusBadRequest:            "invalid_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "no_such_route",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
}

// isAPIRequest reports whether an error should be answered as problem
// JSON: the request was for the API. The URL decides (not the matched
// route), since an unknown /api URL has no route; it only chooses a
// format, it exempts nothing.
func isAPIRequest(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/")
}

// renderProblem writes err as problem JSON in the request's language.
func renderProblem(c echo.Context, err error, requestID string) error {
	var p *Problem
	if !errors.As(err, &p) {
		status := http.StatusInternalServerError
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
		}
		reason, ok := httpReasons[status]
		if !ok {
			reason = "internal_error"
			if status < 500 {
				reason = "invalid_request"
			}
		}
		p = &Problem{Status: status, Reason: reason}
		if status == http.StatusTooManyRequests {
			if ra := c.Response().Header().Get("Retry-After"); ra != "" {
				p.Data = map[string]any{"RetryAfter": ra}
			}
		}
	}
	ctx := c.Request().Context()
	body := problemBody{
		Type: problemTypeBase + p.Reason, Status: p.Status, Instance: c.Request().URL.Path, Reason: p.Reason,
		RequestID: requestID, SubmissionID: p.SubmissionID,
	}
	v := p.Verdict
	if v == nil && templates.IsReason(p.Reason) {
		pv := templates.NewVerdict(ctx, templates.VerdictFacts{Reason: quest.Reason(p.Reason), RetryAfter: p.RetryAfter})
		v = &pv
	}
	if v != nil {
		body.Title, body.Detail, body.NextStep = v.Title, v.Help, nextStepOf(*v)
	} else {
		data := map[string]any{"RetryAfter": seconds(p.RetryAfter)}
		for k, v := range p.Data {
			data[k] = v
		}
		body.Title = locale.T(ctx, "api.problem."+p.Reason+".title", data)
		body.Detail = locale.T(ctx, "api.problem."+p.Reason+".detail", data)
	}
	if p.RetryAfter > 0 {
		setRetryAfter(c, p.RetryAfter)
		body.RetryAfter = seconds(p.RetryAfter)
	}
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="questgate"`)
	}
	b, merr := json.Marshal(body)
	if merr != nil {
		return merr
	}
	c.Response().Header().Set(echo.HeaderContentType, MIMEProblem)
	return c.Blob(p.Status, MIMEProblem, b)
}
