package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// Kinds of store.SandboxResource rows.
const (
	kindPhoneNumber   = "phone_number"
	kindMsgService    = "messaging_service"
	kindServiceNumber = "service_number"
	kindVerifyService = "verify_service"
	kindVerification  = "verification"
)

// The pool of fictitious numbers a sandbox account may "buy": the 555-01xx
// range reserved for fiction. Each account has the whole pool to itself.
const (
	poolFirst = 5555550100
	poolLast  = 5555550199
)

var (
	errNumberUnavailable = newAPIError(http.StatusBadRequest, 21422,
		"PhoneNumber requested is not available. In the sandbox, buy a number from +15555550100 to +15555550199.")
	errNumberRequired = newAPIError(http.StatusBadRequest, 21421, "PhoneNumber or AreaCode is required.")
	errPoolEmpty      = newAPIError(http.StatusBadRequest, 21452, "No phone numbers found in the sandbox's pool for this account.")
)

// inPool reports whether number is one of the pool's.
func inPool(number string) bool {
	n, err := strconv.ParseInt(strings.TrimPrefix(number, "+1"), 10, 64)
	return strings.HasPrefix(number, "+1") && len(number) == 12 && err == nil && n >= poolFirst && n <= poolLast
}

// numberData is what the sandbox keeps of a phone number.
type numberData struct {
	PhoneNumber  string `json:"phone_number"`
	FriendlyName string `json:"friendly_name"`
	SMSURL       string `json:"sms_url"`
	SMSMethod    string `json:"sms_method"`
	SMSFallback  string `json:"sms_fallback_url"`
	VoiceURL     string `json:"voice_url"`
	VoiceMethod  string `json:"voice_method"`
	StatusCB     string `json:"status_callback"`
}

// numberResource is the JSON of api.v2010.account.incoming_phone_number.
type numberResource struct {
	AccountSID             string          `json:"account_sid"`
	AddressSID             *string         `json:"address_sid"`
	AddressRequirements    string          `json:"address_requirements"`
	APIVersion             string          `json:"api_version"`
	Beta                   bool            `json:"beta"`
	Capabilities           map[string]bool `json:"capabilities"`
	DateCreated            string          `json:"date_created"`
	DateUpdated            string          `json:"date_updated"`
	FriendlyName           string          `json:"friendly_name"`
	IdentitySID            *string         `json:"identity_sid"`
	PhoneNumber            string          `json:"phone_number"`
	Origin                 string          `json:"origin"`
	SID                    string          `json:"sid"`
	SMSApplicationSID      *string         `json:"sms_application_sid"`
	SMSFallbackMethod      string          `json:"sms_fallback_method"`
	SMSFallbackURL         *string         `json:"sms_fallback_url"`
	SMSMethod              string          `json:"sms_method"`
	SMSURL                 *string         `json:"sms_url"`
	StatusCallback         *string         `json:"status_callback"`
	StatusCallbackMethod   string          `json:"status_callback_method"`
	TrunkSID               *string         `json:"trunk_sid"`
	URI                    string          `json:"uri"`
	VoiceReceiveMode       string          `json:"voice_receive_mode"`
	VoiceApplicationSID    *string         `json:"voice_application_sid"`
	VoiceCallerIDLookup    bool            `json:"voice_caller_id_lookup"`
	VoiceFallbackMethod    string          `json:"voice_fallback_method"`
	VoiceFallbackURL       *string         `json:"voice_fallback_url"`
	VoiceMethod            string          `json:"voice_method"`
	VoiceURL               *string         `json:"voice_url"`
	EmergencyStatus        string          `json:"emergency_status"`
	EmergencyAddressSID    *string         `json:"emergency_address_sid"`
	EmergencyAddressStatus string          `json:"emergency_address_status"`
	BundleSID              *string         `json:"bundle_sid"`
	Status                 string          `json:"status"`
	Type                   string          `json:"type"`
}

func renderNumber(r store.SandboxResource) (numberResource, error) {
	var d numberData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return numberResource{}, fmt.Errorf("phone number %s: %w", r.SID, err)
	}
	uri := apiRoot + "/Accounts/" + r.AccountSID + "/IncomingPhoneNumbers/" + r.SID
	return numberResource{
		AccountSID: r.AccountSID, AddressRequirements: "none", APIVersion: apiVersion,
		Capabilities: map[string]bool{"voice": true, "sms": true, "mms": true, "fax": false},
		DateCreated:  rfc2822(r.CreatedAt), DateUpdated: rfc2822(r.UpdatedAt),
		FriendlyName: d.FriendlyName, PhoneNumber: d.PhoneNumber, Origin: "twilio", SID: r.SID,
		SMSFallbackMethod: "POST", SMSFallbackURL: nullable(d.SMSFallback), SMSMethod: d.SMSMethod, SMSURL: nullable(d.SMSURL),
		StatusCallback: nullable(d.StatusCB), StatusCallbackMethod: "POST", URI: uri + ".json", VoiceReceiveMode: "voice",
		VoiceFallbackMethod: "POST", VoiceMethod: d.VoiceMethod, VoiceURL: nullable(d.VoiceURL),
		EmergencyStatus: "Inactive", EmergencyAddressStatus: "unregistered", Status: "in-use",
		Type: "local",
	}, nil
}

// friendlyNumber writes +15555550100 as Twilio names a new number:
// (555) 555-0100.
func friendlyNumber(n string) string {
	if len(n) == 12 && strings.HasPrefix(n, "+1") {
		return "(" + n[2:5] + ") " + n[5:8] + "-" + n[8:]
	}
	return n
}

// numberUpdate applies a create or update form's webhook fields to d.
func numberUpdate(d *numberData, form url.Values) *apiError {
	for _, f := range []struct {
		param string
		v     *string
	}{{"SmsUrl", &d.SMSURL}, {"VoiceUrl", &d.VoiceURL}, {"SmsFallbackUrl", &d.SMSFallback}, {"StatusCallback", &d.StatusCB}} {
		if !form.Has(f.param) {
			continue
		}
		v := strings.TrimSpace(form.Get(f.param))
		if v != "" && (len(v) > maxMediaURL || !isWebURL(v)) {
			return invalidParameter(f.param, v)
		}
		*f.v = v
	}
	for _, f := range []struct {
		param string
		v     *string
	}{{"SmsMethod", &d.SMSMethod}, {"VoiceMethod", &d.VoiceMethod}} {
		if !form.Has(f.param) {
			continue
		}
		m := strings.ToUpper(strings.TrimSpace(form.Get(f.param)))
		if m != http.MethodGet && m != http.MethodPost {
			return invalidParameter(f.param, form.Get(f.param))
		}
		*f.v = m
	}
	if form.Has("FriendlyName") {
		name, err := cleanFriendlyName(form.Get("FriendlyName"))
		if err != nil {
			return errBadFriendly
		}
		d.FriendlyName = name
	}
	return nil
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (s *Sandbox) createNumber(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	account := authAccount(c).SID
	number := strings.TrimSpace(form.Get("PhoneNumber"))
	switch {
	case number != "" && !inPool(number):
		return writeError(c, errNumberUnavailable)
	case number == "" && form.Get("AreaCode") == "":
		return writeError(c, errNumberRequired)
	case number == "":
		// AreaCode: the first free number of the pool, whatever the code.
		owned, err := s.st.SandboxResources(c.Request().Context(), store.SandboxResourceFilter{AccountSID: account, Kind: kindPhoneNumber})
		if err != nil {
			return fail(c, err)
		}
		taken := map[string]bool{}
		for _, r := range owned {
			taken[r.Lookup] = true
		}
		for n := poolFirst; n <= poolLast && number == ""; n++ {
			if candidate := "+1" + strconv.Itoa(n); !taken[candidate] {
				number = candidate
			}
		}
		if number == "" {
			return writeError(c, errPoolEmpty)
		}
	}
	d := numberData{PhoneNumber: number, FriendlyName: friendlyNumber(number), SMSMethod: http.MethodPost, VoiceMethod: http.MethodPost}
	if apiErr := numberUpdate(&d, form); apiErr != nil {
		return writeError(c, apiErr)
	}
	if ok, err := s.takeQuota(c, store.SandboxUse{Resources: 1}); !ok {
		return err
	}
	data, _ := json.Marshal(d) // a struct of strings always encodes
	r, err := s.st.CreateSandboxResource(c.Request().Context(), store.SandboxResource{
		SID: newSID("PN"), AccountSID: account, Kind: kindPhoneNumber, UniqueKey: number, Lookup: number,
		Data: data, CreatedAt: s.now().UTC(),
	})
	if errors.Is(err, quest.ErrConflict) {
		return writeError(c, errNumberUnavailable)
	}
	if err != nil {
		return fail(c, err)
	}
	return s.writeNumber(c, http.StatusCreated, r)
}

func (s *Sandbox) writeNumber(c echo.Context, status int, r store.SandboxResource) error {
	out, err := renderNumber(r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, status, out)
}

// number reads the phone number the path names, answering 404 itself.
func (s *Sandbox) number(c echo.Context) (store.SandboxResource, bool, error) {
	sid, ok := strings.CutSuffix(c.Param(paramSID), ".json")
	if !ok || !numberSIDPattern.MatchString(sid) {
		return store.SandboxResource{}, false, writeError(c, notFound(apiPath(c)))
	}
	r, err := s.st.SandboxResource(c.Request().Context(), authAccount(c).SID, kindPhoneNumber, sid)
	if errors.Is(err, quest.ErrNotFound) {
		return r, false, writeError(c, notFound(apiPath(c)))
	}
	if err != nil {
		return r, false, fail(c, err)
	}
	return r, true, nil
}

func (s *Sandbox) fetchNumber(c echo.Context) error {
	r, ok, err := s.number(c)
	if !ok {
		return err
	}
	return s.writeNumber(c, http.StatusOK, r)
}

func (s *Sandbox) updateNumber(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	r, ok, err := s.number(c)
	if !ok {
		return err
	}
	var d numberData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return fail(c, err)
	}
	if apiErr := numberUpdate(&d, form); apiErr != nil {
		return writeError(c, apiErr)
	}
	r.Data, _ = json.Marshal(d)
	r.UpdatedAt = s.now().UTC()
	if r, err = s.st.UpdateSandboxResource(c.Request().Context(), r); err != nil {
		return fail(c, err)
	}
	return s.writeNumber(c, http.StatusOK, r)
}

func (s *Sandbox) deleteNumber(c echo.Context) error {
	r, ok, err := s.number(c)
	if !ok {
		return err
	}
	if err := s.st.DeleteSandboxResource(c.Request().Context(), r.AccountSID, kindPhoneNumber, r.SID); err != nil {
		return fail(c, err)
	}
	// A number leaves the sender pools it was in.
	pools, err := s.st.SandboxResources(c.Request().Context(), store.SandboxResourceFilter{
		AccountSID: r.AccountSID, Kind: kindServiceNumber, Lookup: r.SID})
	if err != nil {
		return fail(c, err)
	}
	for _, p := range pools {
		if err := s.st.DeleteSandboxResource(c.Request().Context(), p.AccountSID, kindServiceNumber, p.SID); err != nil &&
			!errors.Is(err, quest.ErrNotFound) {
			return fail(c, err)
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// numberList is Twilio's list envelope for phone numbers.
type numberList struct {
	listPage
	IncomingPhoneNumbers []numberResource `json:"incoming_phone_numbers"`
}

// numberFilters are the filters the spec lists for IncomingPhoneNumbers.
var numberFilters = []string{"Beta", "FriendlyName", "PhoneNumber", "Origin"}

func (s *Sandbox) listNumbers(c echo.Context) error {
	if apiErr := knownFilters(c, append([]string{"PageSize", "Page", "PageToken"}, numberFilters...)); apiErr != nil {
		return writeError(c, apiErr)
	}
	p, apiErr := parsePaging(c, "/IncomingPhoneNumbers.json")
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	q := c.QueryParams()
	all, err := s.st.SandboxResources(c.Request().Context(), store.SandboxResourceFilter{
		AccountSID: authAccount(c).SID, Kind: kindPhoneNumber})
	if err != nil {
		return fail(c, err)
	}
	var matched []numberResource
	for _, r := range all {
		n, err := renderNumber(r)
		if err != nil {
			return fail(c, err)
		}
		// Twilio matches PhoneNumber and FriendlyName as parts of the
		// number or name; the sandbox's numbers are all local, from
		// Twilio, and not in beta.
		switch {
		case q.Get("PhoneNumber") != "" && !strings.Contains(n.PhoneNumber, strings.TrimSpace(q.Get("PhoneNumber"))),
			q.Get("FriendlyName") != "" && !strings.Contains(n.FriendlyName, q.Get("FriendlyName")),
			q.Get("Origin") != "" && q.Get("Origin") != n.Origin,
			q.Get("Beta") == "true":
			continue
		}
		matched = append(matched, n)
	}
	p.extra = filterQuery(q, numberFilters)
	start := min(p.page*p.size, len(matched))
	page := matched[start:min(start+p.size, len(matched))]
	out := numberList{listPage: p.envelope(len(page), start+len(page) < len(matched)), IncomingPhoneNumbers: page}
	if out.IncomingPhoneNumbers == nil {
		out.IncomingPhoneNumbers = []numberResource{}
	}
	return writeJSON(c, http.StatusOK, out)
}

// pagingParams are the paging parameters every list takes, and filters.
func pagingParams(filters ...string) []string {
	return append([]string{"PageSize", "Page", "PageToken"}, filters...)
}

// knownFilters refuses, with Twilio's 400, a query parameter the spec
// does not list for the endpoint: answering an unfiltered list to a
// filter the sandbox does not know would mislead the client.
func knownFilters(c echo.Context, known []string) *apiError {
	for name := range c.QueryParams() {
		ok := false
		for _, k := range known {
			if name == k {
				ok = true
			}
		}
		if !ok {
			// The spec's other filters (DateSent, StartTime<, Status, …)
			// are refused too, rather than ignored: an unfiltered list
			// answered to a filter would mislead the client.
			return newAPIError(http.StatusBadRequest, 20001,
				fmt.Sprintf("Invalid parameter: the sandbox does not filter this list by %s", name))
		}
	}
	return nil
}

// filterQuery is the filters of q among names, for the paging URIs.
func filterQuery(q url.Values, names []string) url.Values {
	out := url.Values{}
	for _, n := range names {
		for _, v := range q[n] {
			out.Add(n, v)
		}
	}
	return out
}

// ageOf is how long ago t was, on the sandbox's clock.
func (s *Sandbox) ageOf(t time.Time) time.Duration { return s.now().Sub(t) }
