package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiError is Twilio's error body. Helper libraries decode exactly these
// four fields (twilio-go into *client.TwilioRestError), so every error the
// sandbox answers has this shape, never an HTML page or echo's default.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func (e *apiError) Error() string { return fmt.Sprintf("twilio error %d: %s", e.Code, e.Message) }

func newAPIError(status, code int, message string) *apiError {
	return &apiError{
		Code:     code,
		Message:  message,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		Status:   status,
	}
}

// Error codes the sandbox answers. 20003, 20404, 21211, 21602, 21603,
// 21604, 21617 and 21910 are what Twilio answers in these cases; 20001, 20002,
// 20004, 21212, 21620, 21623 and 21701 are the closest Twilio codes we
// know of, so that a client that switches on codes sees familiar ones.
var (
	errAuthenticate     = newAPIError(http.StatusUnauthorized, 20003, "Authenticate")
	errMissingTo        = newAPIError(http.StatusBadRequest, 21604, "A 'To' phone number is required.")
	errMissingFrom      = newAPIError(http.StatusBadRequest, 21603, "A 'From' phone number is required.")
	errMissingBody      = newAPIError(http.StatusBadRequest, 21602, "Message body is required.")
	errBodyTooLong      = newAPIError(http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
	errTooManyMedia     = newAPIError(http.StatusBadRequest, 21623, "The number of media files exceeds the limit of 10.")
	errBadForm          = newAPIError(http.StatusBadRequest, 20001, "The request body could not be read as application/x-www-form-urlencoded.")
	errBadFriendly      = newAPIError(http.StatusBadRequest, 20002, "Invalid FriendlyName: it must be at most 64 characters long.")
	errInternal         = newAPIError(http.StatusInternalServerError, 20500, "Internal Server Error")
	errMethodNotAllowed = newAPIError(http.StatusMethodNotAllowed, 20004, "Method not allowed")
)

// errChannelPair: a From on one channel and a To on another (a WhatsApp
// message to a plain number, an SMS to a WhatsApp address).
var errChannelPair = newAPIError(http.StatusBadRequest, 21910, "Invalid From and To pair. From and To should be of the same channel.")

func invalidTo(to string) *apiError {
	return newAPIError(http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
}

func invalidFrom(from string) *apiError {
	return newAPIError(http.StatusBadRequest, 21212,
		fmt.Sprintf("The 'From' number %s is not a valid phone number, shortcode, or alphanumeric sender ID.", from))
}

func invalidService(sid string) *apiError {
	return newAPIError(http.StatusBadRequest, 21701, fmt.Sprintf("The Messaging Service Sid %s is invalid.", sid))
}

func invalidMediaURL(u string) *apiError {
	return newAPIError(http.StatusBadRequest, 21620, fmt.Sprintf("Media urls: %s are invalid. Please use only valid http and https urls", u))
}

func invalidParameter(name, value string) *apiError {
	return newAPIError(http.StatusBadRequest, 20001, fmt.Sprintf("Invalid %s: %q", name, value))
}

func notFound(path string) *apiError {
	return newAPIError(http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", path))
}

// writeJSON answers v as JSON with Twilio's Content-Type.
func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}

// writeError answers a Twilio error body; a 401 also carries the
// challenge that makes curl and browsers offer Basic auth.
func writeError(c echo.Context, e *apiError) error {
	if e.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="Twilio API"`)
	}
	return writeJSON(c, e.Status, e)
}

// fail logs an unexpected error and answers Twilio's 500 body, so that
// clients never see the internal error text.
func fail(c echo.Context, err error) error {
	c.Logger().Errorf("sandbox: %s %s: %v", c.Request().Method, c.Request().URL.Path, err)
	return writeError(c, errInternal)
}

// apiPath is the request path relative to the API base (from
// "/2010-04-01" on), as Twilio quotes it in 404 messages.
func apiPath(c echo.Context) string {
	p := c.Request().URL.Path
	if i := strings.Index(p, apiRoot+"/"); i >= 0 {
		return p[i:]
	}
	return p
}

// errorHandler turns the errors echo itself raises (unknown route, wrong
// method, …) into Twilio error bodies, for the Echo instances this
// package builds. The caller's own Echo keeps its handler.
func errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	e := errInternal
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			e = notFound(c.Request().URL.Path)
		case http.StatusMethodNotAllowed:
			e = errMethodNotAllowed
		default:
			e = newAPIError(he.Code, 20000+he.Code, http.StatusText(he.Code))
		}
	} else {
		c.Logger().Errorf("sandbox: %s %s: %v", c.Request().Method, c.Request().URL.Path, err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(e.Status)
		return
	}
	_ = writeError(c, e)
}
