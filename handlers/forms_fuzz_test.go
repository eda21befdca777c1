package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// formContentTypes are the content types the form fuzzers send, picked by
// a fuzzed index so the fuzzer spends its time on bodies.
var formContentTypes = []string{
	"application/x-www-form-urlencoded",
	"application/x-www-form-urlencoded; charset=utf-8",
	"multipart/form-data; boundary=XyZ",
	"text/plain",
	"",
	"application/json",
}

// decode runs a form decoder on a POST of body as handlers receive it:
// through limitBody, and, when preparsed, after what the CSRF check does
// (r.FormValue, which parses URL-encoded and multipart bodies).
func decode(t *testing.T, e *echo.Echo, body string, ct uint8, preparsed bool, decoder func(echo.Context)) echo.Context {
	req := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(body))
	if t := formContentTypes[int(ct)%len(formContentTypes)]; t != "" {
		req.Header.Set(echo.HeaderContentType, t)
	}
	c := e.NewContext(req, httptest.NewRecorder())
	err := limitBody(DefaultMaxBodyBytes)(func(c echo.Context) error {
		if preparsed {
			_ = c.Request().FormValue("_csrf")
		}
		decoder(c)
		return nil
	})(c)
	if err != nil {
		t.Fatalf("limitBody: %v", err)
	}
	return c
}

// addFormSeeds adds bodies every form fuzzer starts from.
func addFormSeeds(f *testing.F, bodies ...string) {
	bodies = append(bodies, "", "=", "&&&", "%", "%zz=1", "a=%GG", "a=1;b=2", "\x00=\xff",
		"--XyZ\r\nContent-Disposition: form-data; name=\"sid\"\r\n\r\nSM1\r\n--XyZ--\r\n",
		"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhi\r\n--XyZ--\r\n",
		`{"sid":"SM1"}`)
	for i, b := range bodies {
		f.Add(b, uint8(i), i%2 == 0)
	}
}

// FuzzReadForm sends any body to readForm: it never panics, and either
// fails whole with the "form.missing" message or returns a form holding
// every required field, equal to what the URL-encoded body says.
func FuzzReadForm(f *testing.F) {
	addFormSeeds(f, "sid=SM1&other=2", "sid&other", "sid=a&sid=b&other=", "other=1", "sid=%E2%80%8B&other=%00")
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string, ct uint8, preparsed bool) {
		var form url.Values
		var ferr *formError
		c := decode(t, e, body, ct, preparsed, func(c echo.Context) { form, ferr = readForm(c, "sid", "other") })
		if ferr != nil {
			if ferr.messageID != "form.missing" || form != nil {
				t.Fatalf("error %q with form %v", ferr.messageID, form)
			}
			return
		}
		for _, name := range []string{"sid", "other"} {
			if _, ok := form[name]; !ok {
				t.Fatalf("form without required %q: %v", name, form)
			}
		}
		if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), "application/x-www-form-urlencoded") {
			t.Fatalf("read a form from a %q body", c.Request().Header.Get(echo.HeaderContentType))
		}
		want, err := url.ParseQuery(body)
		if err != nil {
			t.Fatalf("read a form the body does not parse as: %v", err)
		}
		if form.Encode() != want.Encode() {
			t.Fatalf("read %v, the body says %v", form, want)
		}
	})
}

// FuzzHackForm sends any body to the hack form's decoder: it never panics,
// and a SID it returns is the form's field as sent.
func FuzzHackForm(f *testing.F) {
	addFormSeeds(f, "sid=SM0123456789abcdef0123456789abcdef", "sid=+%22SM1%22+", "sid=<script>alert(1)</script>",
		"sid='%3B+DROP+TABLE+submissions%3B--", "sid=&sid=SM1")
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string, ct uint8, preparsed bool) {
		var sid string
		var ferr *formError
		decode(t, e, body, ct, preparsed, func(c echo.Context) { sid, ferr = readHackForm(c) })
		if ferr != nil {
			if sid != "" {
				t.Fatalf("SID %q with error %q", sid, ferr.messageID)
			}
			return
		}
		if want, _ := url.ParseQuery(body); sid != want.Get("sid") {
			t.Fatalf("SID %q, body says %q", sid, want.Get("sid"))
		}
	})
}

// FuzzCredentialsForm sends any body to the credentials form's decoder: it
// never panics, returns the fields as sent, and an error carries a message
// id only, never what was typed.
func FuzzCredentialsForm(f *testing.F) {
	addFormSeeds(f, "account_sid=AC1&secret=tok", "account_sid=AC1&api_key_sid=SK1&secret=tok",
		"account_sid=&secret=", "account_sid=AC1", "secret=tok", "account_sid=%27OR%271%27%3D%271&secret=%3Cb%3E")
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string, ct uint8, preparsed bool) {
		var in credentialsInput
		var ferr *formError
		decode(t, e, body, ct, preparsed, func(c echo.Context) { in, ferr = readCredentialsForm(c) })
		if ferr != nil {
			if in != (credentialsInput{}) || ferr.messageID != "form.missing" {
				t.Fatalf("input %+v with error %q", in, ferr.messageID)
			}
			return
		}
		pf, _ := url.ParseQuery(body)
		if in.accountSID != pf.Get("account_sid") || in.apiKeySID != pf.Get("api_key_sid") || in.secret != pf.Get("secret") {
			t.Fatalf("read %+v from %v", in, pf)
		}
	})
}
