package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// Path prefixes of the products beside the 2010 API, under the sandbox's
// base: https://messaging.twilio.com/v1 is base+"/messaging/v1" and
// https://verify.twilio.com/v2 is base+"/verify/v2".
const (
	MessagingPrefix = "/messaging"
	VerifyPrefix    = "/verify"
	messagingRoot   = MessagingPrefix + "/v1"
	verifyRoot      = VerifyPrefix + "/v2"
)

// verificationTTL is how long Twilio keeps a verification: afterwards a
// fetch or a check finds nothing (20404).
const verificationTTL = 10 * time.Minute

// maxCheckAttempts is how many wrong codes a verification takes before it
// is max_attempts_reached (Twilio allows 5).
const maxCheckAttempts = 5

// isoDate is how Messaging v1 and Verify v2 write dates (RFC 3339 in UTC,
// to the second), where the 2010 API writes RFC 2822.
func isoDate(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// productBase is the absolute URL of the sandbox's base, as the client
// reached it, for the absolute url and links fields v1 and v2 resources
// carry (Twilio's are https://messaging.twilio.com/v1/…).
func productBase(c echo.Context, root string) string {
	p := c.Request().URL.Path
	i := strings.Index(p, root+"/")
	if i < 0 {
		i = 0
	}
	return c.Scheme() + "://" + c.Request().Host + p[:i] + root
}

// meta is the paging object of v1 and v2 lists.
type meta struct {
	Page            int     `json:"page"`
	PageSize        int     `json:"page_size"`
	FirstPageURL    string  `json:"first_page_url"`
	PreviousPageURL *string `json:"previous_page_url"`
	URL             string  `json:"url"`
	NextPageURL     *string `json:"next_page_url"`
	Key             string  `json:"key"`
}

// pageOf cuts one page of items from all, as the query asks, with its
// meta; key names the list in the envelope.
func pageOf[T any](c echo.Context, listURL, key string, all []T) ([]T, meta, *apiError) {
	if apiErr := knownFilters(c, []string{"PageSize", "Page", "PageToken"}); apiErr != nil {
		return nil, meta{}, apiErr
	}
	q := c.QueryParams()
	size, page := defaultPageSize, 0
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, meta{}, invalidParameter("PageSize", v)
		}
		size = min(n, maxPageSize)
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxPage {
			return nil, meta{}, invalidParameter("Page", v)
		}
		page = n
	}
	at := func(n int) string { return listURL + "?PageSize=" + strconv.Itoa(size) + "&Page=" + strconv.Itoa(n) }
	start := min(page*size, len(all))
	items := all[start:min(start+size, len(all))]
	m := meta{Page: page, PageSize: size, FirstPageURL: at(0), URL: at(page), Key: key}
	if start+len(items) < len(all) {
		m.NextPageURL = nullable(at(page + 1))
	}
	if page > 0 {
		m.PreviousPageURL = nullable(at(page - 1))
	}
	if items == nil {
		items = []T{}
	}
	return items, m, nil
}

// listProducts answers a Messaging or Verify list: the rows filter
// selects, each rendered, paged under key as the spec's envelope says.
func listProducts[T any](s *Sandbox, c echo.Context, filter store.SandboxResourceFilter,
	render func(echo.Context, store.SandboxResource) (T, error), listURL, key string) error {
	rows, err := s.st.SandboxResources(c.Request().Context(), filter)
	if err != nil {
		return fail(c, err)
	}
	all := make([]T, 0, len(rows))
	for _, r := range rows {
		out, err := render(c, r)
		if err != nil {
			return fail(c, err)
		}
		all = append(all, out)
	}
	items, m, apiErr := pageOf(c, listURL, key, all)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	return writeJSON(c, http.StatusOK, map[string]any{key: items, "meta": m})
}

// deleteResource deletes a resource the request found, answering 204
// as Twilio's deletes do.
func (s *Sandbox) deleteResource(c echo.Context, r store.SandboxResource) error {
	if err := s.st.DeleteSandboxResource(c.Request().Context(), r.AccountSID, r.Kind, r.SID); err != nil {
		return fail(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// productRoutes registers Messaging v1 and Verify v2.
func (s *Sandbox) productRoutes(route func(path string, handlers map[string]echo.HandlerFunc)) {
	auth := func(h echo.HandlerFunc) echo.HandlerFunc { return s.authenticated(anyAccount, h) }
	accounts := apiRoot + "/Accounts/:" + paramAccount
	route(accounts+"/IncomingPhoneNumbers.json", map[string]echo.HandlerFunc{
		http.MethodGet:  s.authenticated(keysAllowed, s.listNumbers),
		http.MethodPost: s.authenticated(keysAllowed, s.createNumber),
	})
	route(accounts+"/IncomingPhoneNumbers/:"+paramSID, map[string]echo.HandlerFunc{
		http.MethodGet:    s.authenticated(keysAllowed, s.fetchNumber),
		http.MethodPost:   s.authenticated(keysAllowed, s.updateNumber),
		http.MethodDelete: s.authenticated(keysAllowed, s.deleteNumber),
	})
	route(messagingRoot+"/Services", map[string]echo.HandlerFunc{
		http.MethodGet: auth(s.listMsgServices), http.MethodPost: auth(s.createMsgService)})
	route(messagingRoot+"/Services/:"+paramSID, map[string]echo.HandlerFunc{
		http.MethodGet: auth(s.fetchMsgService), http.MethodPost: auth(s.updateMsgService), http.MethodDelete: auth(s.deleteMsgService)})
	route(messagingRoot+"/Services/:"+paramService+"/PhoneNumbers", map[string]echo.HandlerFunc{
		http.MethodGet: auth(s.listPoolNumbers), http.MethodPost: auth(s.addPoolNumber)})
	route(messagingRoot+"/Services/:"+paramService+"/PhoneNumbers/:"+paramSID, map[string]echo.HandlerFunc{
		http.MethodGet: auth(s.fetchPoolNumber), http.MethodDelete: auth(s.removePoolNumber)})
	route(verifyRoot+"/Services", map[string]echo.HandlerFunc{
		http.MethodGet: auth(s.listVerifyServices), http.MethodPost: auth(s.createVerifyService)})
	route(verifyRoot+"/Services/:"+paramSID, map[string]echo.HandlerFunc{
		http.MethodGet: auth(s.fetchVerifyService), http.MethodDelete: auth(s.deleteVerifyService)})
	route(verifyRoot+"/Services/:"+paramService+"/Verifications", map[string]echo.HandlerFunc{
		http.MethodPost: auth(s.startVerification)})
	route(verifyRoot+"/Services/:"+paramService+"/Verifications/:"+paramSID, map[string]echo.HandlerFunc{
		http.MethodGet: auth(s.fetchVerification), http.MethodPost: auth(s.updateVerification)})
	route(verifyRoot+"/Services/:"+paramService+"/VerificationCheck", map[string]echo.HandlerFunc{
		http.MethodPost: auth(s.checkVerification)})
}

const paramService = "service"

// resource reads the account's resource of kind named by param, which
// must match pattern, answering 404 itself when there is none.
func (s *Sandbox) resource(c echo.Context, kind, param string, pattern interface{ MatchString(string) bool }) (store.SandboxResource, bool, error) {
	sid := c.Param(param)
	if !pattern.MatchString(sid) {
		return store.SandboxResource{}, false, writeError(c, notFound(c.Request().URL.Path))
	}
	r, err := s.st.SandboxResource(c.Request().Context(), authAccount(c).SID, kind, sid)
	if errors.Is(err, quest.ErrNotFound) {
		return r, false, writeError(c, notFound(c.Request().URL.Path))
	}
	if err != nil {
		return r, false, fail(c, err)
	}
	return r, true, nil
}

// create stores a new resource after taking it from the account's quota.
func (s *Sandbox) create(c echo.Context, r store.SandboxResource, v any) (store.SandboxResource, bool, error) {
	if ok, err := s.takeQuota(c, store.SandboxUse{Resources: 1}); !ok {
		return r, false, err
	}
	r.AccountSID = authAccount(c).SID
	r.Data, _ = json.Marshal(v) // the sandbox's data structs always encode
	r.CreatedAt = s.now().UTC()
	r, err := s.st.CreateSandboxResource(c.Request().Context(), r)
	if errors.Is(err, quest.ErrConflict) {
		// Only a pool number has a unique key here.
		return r, false, writeError(c, newAPIError(http.StatusBadRequest, 21710, "This phone number is already in the Messaging Service."))
	}
	if err != nil {
		return r, false, fail(c, err)
	}
	return r, true, nil
}

// --- Messaging v1 ---------------------------------------------------------

// msgServiceData is what the sandbox keeps of a Messaging Service.
type msgServiceData struct {
	FriendlyName      string `json:"friendly_name"`
	InboundRequestURL string `json:"inbound_request_url"`
	InboundMethod     string `json:"inbound_method"`
	FallbackURL       string `json:"fallback_url"`
	StatusCallback    string `json:"status_callback"`
}

// msgServiceResource is the JSON of messaging.v1.service.
type msgServiceResource struct {
	SID                       string            `json:"sid"`
	AccountSID                string            `json:"account_sid"`
	FriendlyName              string            `json:"friendly_name"`
	DateCreated               string            `json:"date_created"`
	DateUpdated               string            `json:"date_updated"`
	InboundRequestURL         *string           `json:"inbound_request_url"`
	InboundMethod             string            `json:"inbound_method"`
	FallbackURL               *string           `json:"fallback_url"`
	FallbackMethod            string            `json:"fallback_method"`
	StatusCallback            *string           `json:"status_callback"`
	StickySender              bool              `json:"sticky_sender"`
	MMSConverter              bool              `json:"mms_converter"`
	SmartEncoding             bool              `json:"smart_encoding"`
	ScanMessageContent        string            `json:"scan_message_content"`
	FallbackToLongCode        bool              `json:"fallback_to_long_code"`
	AreaCodeGeomatch          bool              `json:"area_code_geomatch"`
	SynchronousValidation     bool              `json:"synchronous_validation"`
	ValidityPeriod            int               `json:"validity_period"`
	URL                       string            `json:"url"`
	Links                     map[string]string `json:"links"`
	Usecase                   string            `json:"usecase"`
	USAppToPersonRegistered   bool              `json:"us_app_to_person_registered"`
	UseInboundWebhookOnNumber bool              `json:"use_inbound_webhook_on_number"`
}

func renderMsgService(c echo.Context, r store.SandboxResource) (msgServiceResource, error) {
	var d msgServiceData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return msgServiceResource{}, fmt.Errorf("messaging service %s: %w", r.SID, err)
	}
	u := productBase(c, messagingRoot) + "/Services/" + r.SID
	return msgServiceResource{
		SID: r.SID, AccountSID: r.AccountSID, FriendlyName: d.FriendlyName,
		DateCreated: isoDate(r.CreatedAt), DateUpdated: isoDate(r.UpdatedAt),
		InboundRequestURL: nullable(d.InboundRequestURL), InboundMethod: cmpOr(d.InboundMethod, http.MethodPost),
		FallbackURL: nullable(d.FallbackURL), FallbackMethod: http.MethodPost, StatusCallback: nullable(d.StatusCallback),
		StickySender: true, MMSConverter: true, SmartEncoding: true, ScanMessageContent: "inherit",
		FallbackToLongCode: true, AreaCodeGeomatch: true, SynchronousValidation: false, ValidityPeriod: 14400,
		URL: u, Usecase: "undeclared",
		Links: map[string]string{"phone_numbers": u + "/PhoneNumbers", "short_codes": u + "/ShortCodes",
			"alpha_senders": u + "/AlphaSenders", "messages": u + "/Messages",
			"us_app_to_person": u + "/Compliance/Usa2p", "us_app_to_person_usecases": u + "/Compliance/Usa2p/Usecases",
			"channel_senders": u + "/ChannelSenders", "destination_alpha_senders": u + "/DestinationAlphaSenders"},
	}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// msgServiceUpdate applies a create or update form to d.
func msgServiceUpdate(d *msgServiceData, form url.Values, create bool) *apiError {
	if form.Has("FriendlyName") || create {
		name, err := cleanFriendlyName(form.Get("FriendlyName"))
		if err != nil {
			return errBadFriendly
		}
		if name == "" {
			return newAPIError(http.StatusBadRequest, 20001, "Missing required parameter FriendlyName in the post body")
		}
		d.FriendlyName = name
	}
	for _, f := range []struct {
		param string
		v     *string
	}{{"InboundRequestUrl", &d.InboundRequestURL}, {"FallbackUrl", &d.FallbackURL}, {"StatusCallback", &d.StatusCallback}} {
		if !form.Has(f.param) {
			continue
		}
		v := strings.TrimSpace(form.Get(f.param))
		if v != "" && (len(v) > maxMediaURL || !isWebURL(v)) {
			return invalidParameter(f.param, v)
		}
		*f.v = v
	}
	if form.Has("InboundMethod") {
		m := strings.ToUpper(form.Get("InboundMethod"))
		if m != http.MethodGet && m != http.MethodPost {
			return invalidParameter("InboundMethod", form.Get("InboundMethod"))
		}
		d.InboundMethod = m
	}
	return nil
}

func (s *Sandbox) createMsgService(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	var d msgServiceData
	if apiErr := msgServiceUpdate(&d, form, true); apiErr != nil {
		return writeError(c, apiErr)
	}
	r, ok, err := s.create(c, store.SandboxResource{SID: newSID("MG"), Kind: kindMsgService}, d)
	if !ok {
		return err
	}
	return s.writeMsgService(c, http.StatusCreated, r)
}

func (s *Sandbox) writeMsgService(c echo.Context, status int, r store.SandboxResource) error {
	out, err := renderMsgService(c, r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, status, out)
}

func (s *Sandbox) fetchMsgService(c echo.Context) error {
	r, ok, err := s.resource(c, kindMsgService, paramSID, serviceSIDPattern)
	if !ok {
		return err
	}
	return s.writeMsgService(c, http.StatusOK, r)
}

func (s *Sandbox) updateMsgService(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	r, ok, err := s.resource(c, kindMsgService, paramSID, serviceSIDPattern)
	if !ok {
		return err
	}
	var d msgServiceData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return fail(c, err)
	}
	if apiErr := msgServiceUpdate(&d, form, false); apiErr != nil {
		return writeError(c, apiErr)
	}
	r.Data, _ = json.Marshal(d)
	r.UpdatedAt = s.now().UTC()
	if r, err = s.st.UpdateSandboxResource(c.Request().Context(), r); err != nil {
		return fail(c, err)
	}
	return s.writeMsgService(c, http.StatusOK, r)
}

func (s *Sandbox) deleteMsgService(c echo.Context) error {
	r, ok, err := s.resource(c, kindMsgService, paramSID, serviceSIDPattern)
	if !ok {
		return err
	}
	return s.deleteResource(c, r)
}

func (s *Sandbox) listMsgServices(c echo.Context) error {
	return listProducts(s, c, store.SandboxResourceFilter{AccountSID: authAccount(c).SID, Kind: kindMsgService},
		renderMsgService, productBase(c, messagingRoot)+"/Services", "services")
}

// poolNumberResource is the JSON of messaging.v1.service.phone_number.
type poolNumberResource struct {
	SID          string   `json:"sid"`
	AccountSID   string   `json:"account_sid"`
	ServiceSID   string   `json:"service_sid"`
	DateCreated  string   `json:"date_created"`
	DateUpdated  string   `json:"date_updated"`
	PhoneNumber  string   `json:"phone_number"`
	CountryCode  string   `json:"country_code"`
	Capabilities []string `json:"capabilities"`
	URL          string   `json:"url"`
}

// poolNumberData is what the sandbox keeps of a number in a pool.
type poolNumberData struct {
	PhoneNumber string `json:"phone_number"`
}

func renderPoolNumber(c echo.Context, r store.SandboxResource) (poolNumberResource, error) {
	var d poolNumberData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return poolNumberResource{}, fmt.Errorf("pool number %s: %w", r.SID, err)
	}
	return poolNumberResource{
		SID: r.Lookup, AccountSID: r.AccountSID, ServiceSID: r.ParentSID,
		DateCreated: isoDate(r.CreatedAt), DateUpdated: isoDate(r.UpdatedAt), PhoneNumber: d.PhoneNumber,
		CountryCode: "US", Capabilities: []string{"SMS", "MMS", "Voice"},
		URL: productBase(c, messagingRoot) + "/Services/" + r.ParentSID + "/PhoneNumbers/" + r.Lookup,
	}, nil
}

// poolKey is the row SID of number pn in service mg: a number may be in
// several pools, and the row's key must be unique.
func poolKey(mg, pn string) string { return mg + "/" + pn }

func (s *Sandbox) addPoolNumber(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	svc, ok, err := s.resource(c, kindMsgService, paramService, serviceSIDPattern)
	if !ok {
		return err
	}
	pn := strings.TrimSpace(form.Get("PhoneNumberSid"))
	if pn == "" {
		return writeError(c, newAPIError(http.StatusBadRequest, 20001, "Missing required parameter PhoneNumberSid in the post body"))
	}
	number, err := s.st.SandboxResource(c.Request().Context(), svc.AccountSID, kindPhoneNumber, pn)
	if errors.Is(err, quest.ErrNotFound) || !numberSIDPattern.MatchString(pn) {
		return writeError(c, newAPIError(http.StatusBadRequest, 21710, fmt.Sprintf("The Phone Number %s does not belong to this account.", pn)))
	}
	if err != nil {
		return fail(c, err)
	}
	r, ok, err := s.create(c, store.SandboxResource{SID: poolKey(svc.SID, pn), Kind: kindServiceNumber, ParentSID: svc.SID,
		UniqueKey: pn, Lookup: pn}, poolNumberData{PhoneNumber: number.Lookup})
	if !ok {
		return err
	}
	out, err := renderPoolNumber(c, r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusCreated, out)
}

func (s *Sandbox) poolNumber(c echo.Context) (store.SandboxResource, bool, error) {
	svc, ok, err := s.resource(c, kindMsgService, paramService, serviceSIDPattern)
	if !ok {
		return svc, false, err
	}
	pn := c.Param(paramSID)
	r, err := s.st.SandboxResource(c.Request().Context(), svc.AccountSID, kindServiceNumber, poolKey(svc.SID, pn))
	if errors.Is(err, quest.ErrNotFound) {
		return r, false, writeError(c, notFound(c.Request().URL.Path))
	}
	if err != nil {
		return r, false, fail(c, err)
	}
	return r, true, nil
}

func (s *Sandbox) fetchPoolNumber(c echo.Context) error {
	r, ok, err := s.poolNumber(c)
	if !ok {
		return err
	}
	out, err := renderPoolNumber(c, r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusOK, out)
}

func (s *Sandbox) removePoolNumber(c echo.Context) error {
	r, ok, err := s.poolNumber(c)
	if !ok {
		return err
	}
	return s.deleteResource(c, r)
}

func (s *Sandbox) listPoolNumbers(c echo.Context) error {
	svc, ok, err := s.resource(c, kindMsgService, paramService, serviceSIDPattern)
	if !ok {
		return err
	}
	return listProducts(s, c, store.SandboxResourceFilter{AccountSID: svc.AccountSID, Kind: kindServiceNumber, ParentSID: svc.SID},
		renderPoolNumber, productBase(c, messagingRoot)+"/Services/"+svc.SID+"/PhoneNumbers", "phone_numbers")
}

// --- Verify v2 --------------------------------------------------------------

// verifyServiceData is what the sandbox keeps of a Verify service.
type verifyServiceData struct {
	FriendlyName string `json:"friendly_name"`
	CodeLength   int    `json:"code_length"`
}

// verifyServiceResource is the JSON of verify.v2.service.
type verifyServiceResource struct {
	SID                            string            `json:"sid"`
	AccountSID                     string            `json:"account_sid"`
	FriendlyName                   string            `json:"friendly_name"`
	CodeLength                     int               `json:"code_length"`
	LookupEnabled                  bool              `json:"lookup_enabled"`
	PSD2Enabled                    bool              `json:"psd2_enabled"`
	SkipSMSToLandlines             bool              `json:"skip_sms_to_landlines"`
	DTMFInputRequired              bool              `json:"dtmf_input_required"`
	TTSName                        *string           `json:"tts_name"`
	DoNotShareWarningEnabled       bool              `json:"do_not_share_warning_enabled"`
	CustomCodeEnabled              bool              `json:"custom_code_enabled"`
	Push                           map[string]any    `json:"push"`
	TOTP                           map[string]any    `json:"totp"`
	DefaultTemplateSID             *string           `json:"default_template_sid"`
	WhatsApp                       map[string]any    `json:"whatsapp"`
	Passkeys                       map[string]any    `json:"passkeys"`
	VerifyEventSubscriptionEnabled bool              `json:"verify_event_subscription_enabled"`
	DateCreated                    string            `json:"date_created"`
	DateUpdated                    string            `json:"date_updated"`
	URL                            string            `json:"url"`
	Links                          map[string]string `json:"links"`
}

func renderVerifyService(c echo.Context, r store.SandboxResource) (verifyServiceResource, error) {
	var d verifyServiceData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return verifyServiceResource{}, fmt.Errorf("verify service %s: %w", r.SID, err)
	}
	u := productBase(c, verifyRoot) + "/Services/" + r.SID
	return verifyServiceResource{
		SID: r.SID, AccountSID: r.AccountSID, FriendlyName: d.FriendlyName, CodeLength: d.CodeLength,
		LookupEnabled: true, DTMFInputRequired: true,
		Push:     map[string]any{"include_date": false, "apn_credential_sid": nil, "fcm_credential_sid": nil},
		TOTP:     map[string]any{"issuer": d.FriendlyName, "time_step": 30, "code_length": 6, "skew": 1},
		WhatsApp: map[string]any{"msg_service_sid": nil, "from": nil},
		Passkeys: map[string]any{"relying_party": nil, "authenticator_attachment": "platform",
			"discoverable_credentials": nil, "user_verification": "preferred"},
		DateCreated: isoDate(r.CreatedAt), DateUpdated: isoDate(r.UpdatedAt), URL: u,
		Links: map[string]string{"verifications": u + "/Verifications", "verification_checks": u + "/VerificationCheck",
			"entities": u + "/Entities", "messaging_configurations": u + "/MessagingConfigurations",
			"rate_limits": u + "/RateLimits", "webhooks": u + "/Webhooks", "access_tokens": u + "/AccessTokens"},
	}, nil
}

func (s *Sandbox) createVerifyService(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	name, err := cleanFriendlyName(form.Get("FriendlyName"))
	if err != nil || name == "" {
		return writeError(c, newAPIError(http.StatusBadRequest, 60200, "Invalid parameter: FriendlyName"))
	}
	d := verifyServiceData{FriendlyName: name, CodeLength: 6}
	if v := form.Get("CodeLength"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 || n > 10 {
			return writeError(c, newAPIError(http.StatusBadRequest, 60200, "Invalid parameter: CodeLength"))
		}
		d.CodeLength = n
	}
	r, ok, err := s.create(c, store.SandboxResource{SID: newSID("VA"), Kind: kindVerifyService}, d)
	if !ok {
		return err
	}
	out, err := renderVerifyService(c, r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusCreated, out)
}

func (s *Sandbox) fetchVerifyService(c echo.Context) error {
	r, ok, err := s.resource(c, kindVerifyService, paramSID, verifySIDPattern)
	if !ok {
		return err
	}
	out, err := renderVerifyService(c, r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusOK, out)
}

func (s *Sandbox) deleteVerifyService(c echo.Context) error {
	r, ok, err := s.resource(c, kindVerifyService, paramSID, verifySIDPattern)
	if !ok {
		return err
	}
	return s.deleteResource(c, r)
}

func (s *Sandbox) listVerifyServices(c echo.Context) error {
	return listProducts(s, c, store.SandboxResourceFilter{AccountSID: authAccount(c).SID, Kind: kindVerifyService},
		renderVerifyService, productBase(c, verifyRoot)+"/Services", "services")
}

// verificationData is what the sandbox keeps of a verification. Code is
// the one-time code: it is shown on the player's sandbox phone page
// (Inbox) and compared by VerificationCheck, never in an API answer.
type verificationData struct {
	To       string `json:"to"`
	Channel  string `json:"channel"`
	Status   string `json:"status"`
	Code     string `json:"code"`
	Attempts int    `json:"attempts"`
	Service  string `json:"service_name"`
}

// Verification statuses.
const (
	verifyPending  = "pending"
	verifyApproved = "approved"
	verifyCanceled = "canceled"
	verifyMaxed    = "max_attempts_reached"
)

// verificationResource is the JSON of verify.v2.service.verification.
type verificationResource struct {
	SID              string           `json:"sid"`
	ServiceSID       string           `json:"service_sid"`
	AccountSID       string           `json:"account_sid"`
	To               string           `json:"to"`
	Channel          string           `json:"channel"`
	Status           string           `json:"status"`
	Valid            bool             `json:"valid"`
	Lookup           map[string]any   `json:"lookup"`
	Amount           *string          `json:"amount"`
	Payee            *string          `json:"payee"`
	SendCodeAttempts []map[string]any `json:"send_code_attempts"`
	DateCreated      string           `json:"date_created"`
	DateUpdated      string           `json:"date_updated"`
	SNA              map[string]any   `json:"sna"`
	URL              string           `json:"url"`
}

func renderVerification(c echo.Context, r store.SandboxResource) (verificationResource, verificationData, error) {
	var d verificationData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return verificationResource{}, d, fmt.Errorf("verification %s: %w", r.SID, err)
	}
	return verificationResource{
		SID: r.SID, ServiceSID: r.ParentSID, AccountSID: r.AccountSID, To: d.To, Channel: d.Channel,
		Status: d.Status, Valid: d.Status == verifyApproved,
		Lookup: map[string]any{"carrier": nil},
		SendCodeAttempts: []map[string]any{{"attempt_sid": "VL" + r.SID[2:], "channel": d.Channel,
			"time": isoDate(r.CreatedAt)}},
		DateCreated: isoDate(r.CreatedAt), DateUpdated: isoDate(r.UpdatedAt),
		URL: productBase(c, verifyRoot) + "/Services/" + r.ParentSID + "/Verifications/" + r.SID,
	}, d, nil
}

// verifyChannels are the channels the sandbox delivers codes on: to the
// sandbox phone page, which stands for the phone.
var verifyChannels = []string{"sms", "call", "whatsapp"}

func (s *Sandbox) startVerification(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	svc, ok, err := s.resource(c, kindVerifyService, paramService, verifySIDPattern)
	if !ok {
		return err
	}
	to, channel := strings.TrimSpace(form.Get("To")), strings.TrimSpace(form.Get("Channel"))
	if !phoneNumberPattern.MatchString(to) {
		return writeError(c, newAPIError(http.StatusBadRequest, 60200, "Invalid parameter `To`: "+to))
	}
	known := false
	for _, ch := range verifyChannels {
		known = known || ch == channel
	}
	if !known {
		return writeError(c, newAPIError(http.StatusBadRequest, 60200, "Invalid parameter: Channel"))
	}
	var sd verifyServiceData
	if err := json.Unmarshal(svc.Data, &sd); err != nil {
		return fail(c, err)
	}
	d := verificationData{To: to, Channel: channel, Status: verifyPending, Code: newCode(sd.CodeLength), Service: sd.FriendlyName}
	r, ok, err := s.create(c, store.SandboxResource{SID: newSID("VE"), Kind: kindVerification, ParentSID: svc.SID, Lookup: to}, d)
	if !ok {
		return err
	}
	out, _, err := renderVerification(c, r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusCreated, out)
}

// newCode returns n random decimal digits.
func newCode(n int) string {
	var b strings.Builder
	for range max(n, 4) {
		d, _ := rand.Int(rand.Reader, big.NewInt(10)) // never fails: crypto/rand aborts instead
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

// verification reads the verification the path names; one older than
// verificationTTL is gone, as on Twilio.
func (s *Sandbox) verification(c echo.Context) (store.SandboxResource, bool, error) {
	svc, ok, err := s.resource(c, kindVerifyService, paramService, verifySIDPattern)
	if !ok {
		return svc, false, err
	}
	r, ok, err := s.resource(c, kindVerification, paramSID, verificationPattern)
	if !ok {
		return r, false, err
	}
	if r.ParentSID != svc.SID || s.ageOf(r.CreatedAt) > verificationTTL {
		return r, false, writeError(c, notFound(c.Request().URL.Path))
	}
	return r, true, nil
}

func (s *Sandbox) fetchVerification(c echo.Context) error {
	r, ok, err := s.verification(c)
	if !ok {
		return err
	}
	out, _, err := renderVerification(c, r)
	if err != nil {
		return fail(c, err)
	}
	return writeJSON(c, http.StatusOK, out)
}

// updateVerification cancels or approves a verification by hand (Status
// canceled or approved), as Twilio's update does.
func (s *Sandbox) updateVerification(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	r, ok, err := s.verification(c)
	if !ok {
		return err
	}
	status := form.Get("Status")
	if status != verifyCanceled && status != verifyApproved {
		return writeError(c, newAPIError(http.StatusBadRequest, 60200, "Invalid parameter: Status"))
	}
	return s.setVerification(c, r, func(d *verificationData) { d.Status = status }, false)
}

// setVerification changes a verification and answers it, as a
// verification (check false) or a verification check.
func (s *Sandbox) setVerification(c echo.Context, r store.SandboxResource, change func(*verificationData), check bool) error {
	var d verificationData
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return fail(c, err)
	}
	change(&d)
	r.Data, _ = json.Marshal(d)
	r.UpdatedAt = s.now().UTC()
	r, err := s.st.UpdateSandboxResource(c.Request().Context(), r)
	if err != nil {
		return fail(c, err)
	}
	out, _, err := renderVerification(c, r)
	if err != nil {
		return fail(c, err)
	}
	if !check {
		return writeJSON(c, http.StatusOK, out)
	}
	return writeJSON(c, http.StatusOK, map[string]any{
		"sid": out.SID, "service_sid": out.ServiceSID, "account_sid": out.AccountSID, "to": out.To,
		"channel": out.Channel, "status": out.Status, "valid": out.Valid, "amount": nil, "payee": nil,
		"date_created": out.DateCreated, "date_updated": out.DateUpdated, "sna_attempts_error_codes": []any{},
	})
}

// checkVerification answers VerificationCheck: the pending verification
// of To (or VerificationSid) in the service, approved when Code is its
// code. Without one, Twilio answers 404 20404.
func (s *Sandbox) checkVerification(c echo.Context) error {
	form, apiErr := postForm(c)
	if apiErr != nil {
		return writeError(c, apiErr)
	}
	svc, ok, err := s.resource(c, kindVerifyService, paramService, verifySIDPattern)
	if !ok {
		return err
	}
	code, to, sid := strings.TrimSpace(form.Get("Code")), strings.TrimSpace(form.Get("To")), strings.TrimSpace(form.Get("VerificationSid"))
	if code == "" || (to == "" && sid == "") {
		return writeError(c, newAPIError(http.StatusBadRequest, 60200, "Invalid parameter: Code, and To or VerificationSid, are required"))
	}
	rows, err := s.st.SandboxResources(c.Request().Context(), store.SandboxResourceFilter{
		AccountSID: svc.AccountSID, Kind: kindVerification, ParentSID: svc.SID, Lookup: to, Limit: 20})
	if err != nil {
		return fail(c, err)
	}
	for _, r := range rows {
		var d verificationData
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return fail(c, err)
		}
		if (sid != "" && r.SID != sid) || d.Status != verifyPending || s.ageOf(r.CreatedAt) > verificationTTL {
			continue
		}
		return s.setVerification(c, r, func(d *verificationData) {
			switch {
			case d.Code == code:
				d.Status = verifyApproved
			case d.Attempts+1 >= maxCheckAttempts:
				d.Attempts++
				d.Status = verifyMaxed
			default:
				d.Attempts++
			}
		}, true)
	}
	return writeError(c, notFound(c.Request().URL.Path))
}

// Inbox returns the codes of the account's pending verifications sent to
// any of numbers, newest first: what the player's phone would show.
func (s *Sandbox) Inbox(ctx context.Context, accountSID string, numbers []string) ([]quest.PhoneText, error) {
	var out []quest.PhoneText
	for _, n := range numbers {
		rows, err := s.st.SandboxResources(ctx, store.SandboxResourceFilter{AccountSID: accountSID, Kind: kindVerification, Lookup: n, Limit: 20})
		if err != nil {
			return nil, fmt.Errorf("sandbox inbox: %w", err)
		}
		for _, r := range rows {
			var d verificationData
			if err := json.Unmarshal(r.Data, &d); err != nil {
				return nil, fmt.Errorf("sandbox inbox: %w", err)
			}
			if d.Status != verifyPending || s.ageOf(r.CreatedAt) > verificationTTL {
				continue
			}
			out = append(out, quest.PhoneText{To: d.To, From: d.Service,
				Body: "Your " + d.Service + " verification code is: " + d.Code, At: r.CreatedAt})
		}
	}
	return out, nil
}
