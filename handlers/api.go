package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/logging"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// APIQuests is the part of *quest.Service the JSON API uses.
type APIQuests interface {
	Catalog() *catalog.Catalog
	Submit(ctx context.Context, a quest.Attempt) (*quest.Result, error)
	Locked(o *catalog.Objective, awards map[string]quest.Award) bool
}

// APIData is the part of *store.Store the JSON API reads and writes.
type APIData interface {
	APIKeyByHash(ctx context.Context, hash string) (quest.APIKey, error)
	OriginAllowed(ctx context.Context, origin string) (bool, error)
	APIPlayer(ctx context.Context, keyID, externalID, name string) (quest.Player, error)
	FindAPIPlayer(ctx context.Context, keyID, externalID string) (string, error)
	ExternalIDs(ctx context.Context, keyID string, playerIDs []string) (map[string]string, error)
	Player(ctx context.Context, id string) (quest.Player, error)
	Awards(ctx context.Context, playerID string) (map[string]quest.Award, error)
	ListSubmissions(ctx context.Context, f quest.SubmissionFilter, before int64, limit int) ([]quest.SubmissionRow, error)
	ReserveIdempotency(ctx context.Context, keyID, idemKey, requestHash string) (quest.Idempotent, bool, error)
	CompleteIdempotency(ctx context.Context, keyID, idemKey string, status int, body []byte) error
	ReleaseIdempotency(ctx context.Context, keyID, idemKey string) error
}

// API serves the JSON API v1 for games, authenticated with API keys
// (Authorization: Bearer qg_live_…).
type API struct {
	quests APIQuests
	data   APIData
	log    *slog.Logger
}

// NewAPI returns the JSON API.
func NewAPI(quests APIQuests, data APIData, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{quests: quests, data: data, log: log}
}

// Routes mounts the API on g, which must be the /api group. The
// authentication and CORS middleware go on each route rather than the
// group, so unknown URLs get a plain 404 problem.
func (h *API) Routes(g *echo.Group) {
	g.GET("/openapi.yaml", serveOpenAPI)
	auth := h.authenticate
	g.POST("/v1/verifications", h.verify, auth, h.idempotent)
	g.GET("/v1/objectives", h.objectives, auth)
	g.GET("/v1/players/:id/progress", h.progress, auth)
	g.GET("/v1/submissions", h.submissions, auth)
	for _, p := range []string{"/v1/verifications", "/v1/objectives", "/v1/players/:id/progress", "/v1/submissions"} {
		g.OPTIONS(p, h.preflight)
	}
}

// keyContextKey is where authenticate leaves the request's API key.
const keyContextKey = "questgate.apikey"

func keyOf(c echo.Context) quest.APIKey { k, _ := c.Get(keyContextKey).(quest.APIKey); return k }

// authenticate checks the Bearer key, then the browser's Origin against
// the key's origins (CORS): a call from a page of another origin is
// refused, one from an allowed origin gets its Access-Control headers.
func (h *API) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// The checks run in a call of their own, which returns before the
		// request's work: a middleware's frame stays on the stack under
		// the whole verification, which must fit in 16 KiB
		// (cmd/questgate's TestAHACKFitsIn16KiBOfStack).
		if err := h.authorize(c); err != nil {
			return err
		}
		return next(c)
	}
}

// authorize is authenticate's checks: the request's key, left in c, or a
// problem.
func (h *API) authorize(c echo.Context) error {
	header := c.Request().Header.Get(echo.HeaderAuthorization)
	token, ok := strings.CutPrefix(header, "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || !auth.LooksLikeKey(token) {
		return &Problem{Status: http.StatusUnauthorized, Reason: "unauthorized"}
	}
	k, err := h.data.APIKeyByHash(c.Request().Context(), auth.HashKey(token))
	switch {
	case errors.Is(err, quest.ErrNotFound):
		return &Problem{Status: http.StatusUnauthorized, Reason: "unauthorized"}
	case err != nil:
		return err
	case k.Revoked():
		return &Problem{Status: http.StatusUnauthorized, Reason: "key_revoked"}
	}
	vary(c.Response().Header(), "Origin")
	if origin := c.Request().Header.Get(echo.HeaderOrigin); origin != "" {
		if !k.AllowsOrigin(origin) {
			return &Problem{Status: http.StatusForbidden, Reason: "origin_not_allowed"}
		}
		h := c.Response().Header()
		h.Set(echo.HeaderAccessControlAllowOrigin, origin)
		h.Set(echo.HeaderAccessControlExposeHeaders, "Retry-After, Idempotent-Replayed")
	}
	c.Set(keyContextKey, k)
	return nil
}

// preflight answers browsers asking before a cross-origin call. The key is
// not sent with a preflight, so an origin passes when any working key
// allows it; the call itself is then checked against its own key's.
func (h *API) preflight(c echo.Context) error {
	origin := c.Request().Header.Get(echo.HeaderOrigin)
	vary(c.Response().Header(), "Origin")
	if origin == "" {
		return c.NoContent(http.StatusNoContent)
	}
	ok, err := h.data.OriginAllowed(c.Request().Context(), origin)
	if err != nil {
		return err
	}
	if !ok {
		return &Problem{Status: http.StatusForbidden, Reason: "origin_not_allowed"}
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderAccessControlAllowOrigin, origin)
	hd.Set(echo.HeaderAccessControlAllowMethods, "GET, POST")
	hd.Set(echo.HeaderAccessControlAllowHeaders, "Authorization, Content-Type, Accept-Language, Idempotency-Key")
	hd.Set(echo.HeaderAccessControlMaxAge, "600")
	return c.NoContent(http.StatusNoContent)
}

// verificationRequest is the body of POST /api/v1/verifications.
type verificationRequest struct {
	Objective string `json:"objective"`
	SID       string `json:"sid"`
	Player    struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"player"`
	Credentials *struct {
		AccountSID   string `json:"account_sid"`
		AuthToken    string `json:"auth_token"`
		APIKeySID    string `json:"api_key_sid"`
		APIKeySecret string `json:"api_key_secret"`
	} `json:"credentials"`
}

// Limits on what a game may send.
const (
	maxExternalIDLen = 200
	maxPlayerNameLen = 100
)

// VerificationResponse is the API's verdict on a SID.
type VerificationResponse struct {
	Status       string          `json:"status"`
	Reason       string          `json:"reason"`
	Title        string          `json:"title"`
	Message      string          `json:"message"`
	Objective    string          `json:"objective"`
	SID          string          `json:"sid"`
	XP           int             `json:"xp"`
	Items        []string        `json:"items"`
	SubmissionID int64           `json:"submission_id"`
	Player       APIPlayerRef    `json:"player"`
	Verified     *VerifiedFields `json:"verified_message,omitempty"`
	// Next is what the player should do now, as the pages say it.
	Next *APINextStep `json:"next_step,omitempty"`
}

// APINextStep is the step a player should take after a verdict: kind is
// a stable code a game may act on (credentials: ask the player for them;
// wait: retry later…), text says it in the request's language.
type APINextStep struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// nextStepOf is v's next step as the API gives it: without the link,
// which is a page of questgate's own player pages.
func nextStepOf(v templates.Verdict) *APINextStep {
	return &APINextStep{Kind: string(v.Next.Kind), Text: v.Next.Text}
}

// APIPlayerRef names a player as the game knows them.
type APIPlayerRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// VerifiedFields are the fields of the message Twilio returned.
type VerifiedFields struct {
	SID         string `json:"sid"`
	Status      string `json:"status"`
	Direction   string `json:"direction"`
	To          string `json:"to"`
	From        string `json:"from"`
	Body        string `json:"body"`
	NumMedia    int    `json:"num_media"`
	DateCreated string `json:"date_created,omitempty"`
}

func verifiedOf(m *quest.Message) *VerifiedFields {
	if m == nil {
		return nil
	}
	v := &VerifiedFields{SID: m.SID, Status: m.Status, Direction: m.Direction, To: m.To, From: m.From, Body: m.Body, NumMedia: m.NumMedia}
	if !m.DateCreated.IsZero() {
		v.DateCreated = m.DateCreated.UTC().Format(time.RFC3339)
	}
	return v
}

// verify checks a SID for a game's player: 200 with the verdict, or a
// problem (see the OpenAPI document) when nothing could be decided, with
// the verdict's status (templates.StatusOf), words and next step, the
// ones the objective page and the widget show.
func (h *API) verify(c echo.Context) error {
	// The request is read in a call of its own, which returns before the
	// verification: this frame stays on the stack under the whole of it,
	// which must fit in 16 KiB (cmd/questgate's
	// TestAHACKFitsIn16KiBOfStack).
	r, err := h.readVerification(c)
	if err != nil {
		return err
	}
	return r.play(c, h.quests)
}

// playRequest is an attempt read from a game's request, ready to play.
type playRequest struct {
	// ctx is the request's, saying which player was just read.
	ctx     context.Context
	attempt quest.Attempt
	// player is how the answer names the player.
	player APIPlayerRef
}

// play submits the attempt and answers c with the verdict.
func (r *playRequest) play(c echo.Context, quests APIQuests) error {
	res, err := quests.Submit(r.ctx, r.attempt)
	if err != nil {
		return err
	}
	return answerVerification(c, res, r.attempt.ObjectiveID, r.player)
}

// readVerification reads verify's request: the attempt to play, for the
// game's player it names (created on first sight).
func (h *API) readVerification(c echo.Context) (playRequest, error) {
	ctx := c.Request().Context()
	k := keyOf(c)
	if mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationJSON {
		return playRequest{}, &Problem{Status: http.StatusUnsupportedMediaType, Reason: "unsupported_media_type"}
	}
	body, _ := c.Get(bodyKey).([]byte)
	var req verificationRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return playRequest{}, &Problem{Status: http.StatusBadRequest, Reason: "invalid_json", Err: err}
	}
	req.Player.ID = strings.TrimSpace(req.Player.ID)
	req.Player.Name = strings.TrimSpace(req.Player.Name)
	switch {
	case req.Objective == "":
		return playRequest{}, &Problem{Status: http.StatusBadRequest, Reason: "missing_objective"}
	case req.Player.ID == "" || len(req.Player.ID) > maxExternalIDLen:
		return playRequest{}, &Problem{Status: http.StatusBadRequest, Reason: "invalid_player"}
	case len([]rune(req.Player.Name)) > maxPlayerNameLen:
		return playRequest{}, &Problem{Status: http.StatusBadRequest, Reason: "invalid_player"}
	}
	if _, ok := h.quests.Catalog().Get(req.Objective); !ok {
		return playRequest{}, &Problem{Status: http.StatusNotFound, Reason: "unknown_objective"}
	}
	var creds *quest.Credentials
	if rc := req.Credentials; rc != nil {
		secret := rc.AuthToken
		if rc.APIKeySID != "" || rc.APIKeySecret != "" {
			secret = rc.APIKeySecret
		}
		cr, err := quest.ParseCredentials(rc.AccountSID, rc.APIKeySID, secret)
		if err != nil {
			return playRequest{}, &Problem{Status: templates.StatusOf(quest.BadCredentials), Reason: string(quest.BadCredentials), Err: err}
		}
		creds = &cr
	}
	p, err := h.data.APIPlayer(ctx, k.ID, req.Player.ID, req.Player.Name)
	if err != nil {
		return playRequest{}, err
	}
	// As a session's player, the attempt's reads of the player may be
	// answered from memory at the version just read (quest.WithPlayerRead).
	return playRequest{
		ctx:     quest.WithPlayerRead(ctx, p),
		attempt: quest.Attempt{PlayerID: p.ID, ObjectiveID: req.Objective, SID: req.SID, Game: true, IP: c.RealIP(), Credentials: creds},
		player:  APIPlayerRef{ID: req.Player.ID, Name: req.Player.Name},
	}, nil
}

// idempotent makes a request with an Idempotency-Key header run once: the
// key is reserved before the request runs (so a concurrent duplicate
// cannot run it too), and its answer is kept; a retry gets that answer
// back (with Idempotent-Replayed: true), a different request under the
// same key gets 422, and one arriving while the first still runs gets 409.
// Answers that decided nothing (429, 5xx) are not kept: a retry runs again.
func (h *API) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		idem := c.Request().Header.Get("Idempotency-Key")
		if idem == "" {
			return next(c)
		}
		// Each step runs in a call of its own, so that what stays on
		// the stack under the request's work is this small frame (see
		// authenticate).
		replayed, err := h.reserveIdempotency(c, idem)
		if replayed || err != nil {
			return err
		}
		rec := &teeWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err)
		}
		h.keepIdempotent(c, idem, rec)
		return nil
	}
}

// reserveIdempotency reserves idem for c's request (see idempotent). It
// returns replayed true when it answered c itself: with the answer kept
// for the key, or with the problem returned (a key too long, or reused
// for another request, or its first request still running).
func (h *API) reserveIdempotency(c echo.Context, idem string) (replayed bool, err error) {
	if len(idem) > 255 {
		return true, &Problem{Status: http.StatusBadRequest, Reason: "invalid_idempotency_key"}
	}
	k := keyOf(c)
	body, _ := c.Get(bodyKey).([]byte)
	sum := sha256.New()
	sum.Write([]byte(c.Request().Method + " " + c.Path() + "\n"))
	sum.Write(body)
	hash := hex.EncodeToString(sum.Sum(nil))
	prev, reserved, err := h.data.ReserveIdempotency(c.Request().Context(), k.ID, idem, hash)
	if err != nil {
		return true, err
	}
	if reserved {
		return false, nil
	}
	switch {
	case prev.RequestHash != hash:
		return true, &Problem{Status: http.StatusUnprocessableEntity, Reason: "idempotency_key_reused"}
	case prev.Status == 0:
		return true, &Problem{Status: http.StatusConflict, Reason: "idempotency_in_progress", RetryAfter: time.Second}
	}
	c.Response().Header().Set("Idempotent-Replayed", "true")
	ct := echo.MIMEApplicationJSON
	if prev.Status >= 400 {
		ct = MIMEProblem
	}
	return true, c.Blob(prev.Status, ct, prev.Body)
}

// keepIdempotent keeps the answer rec saw for idem, or releases the key
// when the answer decided nothing (429, 5xx), so that a retry runs again.
func (h *API) keepIdempotent(c echo.Context, idem string, rec *teeWriter) {
	ctx := c.Request().Context()
	k := keyOf(c)
	bg := context.WithoutCancel(ctx)
	status := c.Response().Status
	if status == http.StatusTooManyRequests || status >= 500 {
		if err := h.data.ReleaseIdempotency(bg, k.ID, idem); err != nil {
			h.log.ErrorContext(bg, "release idempotency key", "error", err)
		}
		return
	}
	if err := h.data.CompleteIdempotency(bg, k.ID, idem, status, rec.buf.Bytes()); err != nil {
		h.log.ErrorContext(bg, "keep idempotent answer", "error", err, "request_id", logging.RequestID(ctx))
	}
}

// teeWriter keeps a copy of the body written through it.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// APIObjective describes an objective for games.
type APIObjective struct {
	ID            string   `json:"id"`
	Title         string   `json:"title"`
	Summary       string   `json:"summary"`
	XP            int      `json:"xp"`
	SIDPrefixes   []string `json:"sid_prefixes"`
	Prerequisites []string `json:"prerequisites"`
}

func apiObjective(o catalog.Objective, lang string) APIObjective {
	return APIObjective{ID: o.ID, Title: o.Title.In(lang), Summary: o.Summary.In(lang), XP: o.XP,
		SIDPrefixes: o.Prefixes(), Prerequisites: nonNil(o.Prerequisites)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// objectives lists the objectives, titles in the request's language.
func (h *API) objectives(c echo.Context) error {
	lang := locale.Lang(c.Request().Context())
	out := []APIObjective{}
	for _, o := range h.quests.Catalog().All() {
		out = append(out, apiObjective(o, lang))
	}
	return c.JSON(http.StatusOK, map[string]any{"objectives": out})
}

// ObjectiveProgress is where a player stands on one objective.
type ObjectiveProgress struct {
	ID          string `json:"id"`
	Completed   bool   `json:"completed"`
	Locked      bool   `json:"locked"`
	XP          int    `json:"xp"`
	CompletedAt string `json:"completed_at,omitempty"`
	Manual      bool   `json:"manual"`
}

// progress tells where one of the key's players stands.
func (h *API) progress(c echo.Context) error {
	ctx := c.Request().Context()
	k := keyOf(c)
	ext := c.Param("id")
	id, err := h.data.FindAPIPlayer(ctx, k.ID, ext)
	if errors.Is(err, quest.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Reason: "unknown_player"}
	}
	if err != nil {
		return err
	}
	p, err := h.data.Player(ctx, id)
	if err != nil {
		return err
	}
	awards, err := h.data.Awards(ctx, id)
	if err != nil {
		return err
	}
	total := 0
	out := []ObjectiveProgress{}
	for o := range h.quests.Catalog().Objectives() {
		op := ObjectiveProgress{ID: o.ID}
		if a, ok := awards[o.ID]; ok {
			op.Completed, op.XP, op.Manual = true, a.XP, a.Manual
			op.CompletedAt = a.CreatedAt.UTC().Format(time.RFC3339)
			total += a.XP
		} else {
			op.Locked = h.quests.Locked(o, awards)
		}
		out = append(out, op)
	}
	return c.JSON(http.StatusOK, map[string]any{
		"player": APIPlayerRef{ID: ext, Name: p.DisplayName}, "xp": total, "objectives": out,
	})
}

// APISubmission is one attempt, as the API lists it.
type APISubmission struct {
	ID        int64        `json:"id"`
	Player    APIPlayerRef `json:"player"`
	Objective string       `json:"objective"`
	SID       string       `json:"sid"`
	Reason    string       `json:"reason"`
	CreatedAt string       `json:"created_at"`
}

// Page sizes of GET /api/v1/submissions.
const (
	defaultAPIPage = 50
	maxAPIPage     = 200
)

// submissions lists the key's players' attempts, newest first, with the
// instructor dashboard's filters, keyset-paginated: next_before (absent on
// the last page) is the "before" of the next page.
func (h *API) submissions(c echo.Context) error {
	ctx := c.Request().Context()
	k := keyOf(c)
	q := c.QueryParams()
	f := quest.SubmissionFilter{APIKeyID: k.ID, ObjectiveID: q.Get("objective"), Reason: quest.Reason(q.Get("reason")),
		SID: q.Get("sid")}
	switch o := quest.Outcome(q.Get("outcome")); o {
	case "", quest.OutcomeSuccess, quest.OutcomeRejected, quest.OutcomeUpstream:
		f.Outcome = o
	default:
		return &Problem{Status: http.StatusBadRequest, Reason: "invalid_filter"}
	}
	if ext := q.Get("player"); ext != "" {
		id, err := h.data.FindAPIPlayer(ctx, k.ID, ext)
		if errors.Is(err, quest.ErrNotFound) {
			return c.JSON(http.StatusOK, map[string]any{"submissions": []APISubmission{}})
		}
		if err != nil {
			return err
		}
		f.PlayerID = id
	}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			parsed, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return &Problem{Status: http.StatusBadRequest, Reason: "invalid_filter"}
			}
			*t.to = parsed
		}
	}
	limit, before := defaultAPIPage, int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAPIPage {
			return &Problem{Status: http.StatusBadRequest, Reason: "invalid_filter"}
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return &Problem{Status: http.StatusBadRequest, Reason: "invalid_filter"}
		}
		before = n
	}
	rows, err := h.data.ListSubmissions(ctx, f, before, limit+1)
	if err != nil {
		return err
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.PlayerID)
	}
	ext, err := h.data.ExternalIDs(ctx, k.ID, ids)
	if err != nil {
		return err
	}
	out := map[string]any{}
	list := []APISubmission{}
	for _, r := range rows {
		list = append(list, APISubmission{ID: r.ID, Player: APIPlayerRef{ID: ext[r.PlayerID], Name: r.PlayerName},
			Objective: r.ObjectiveID, SID: r.SID, Reason: string(r.Reason), CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339)})
	}
	out["submissions"] = list
	if more && len(rows) > 0 {
		out["next_before"] = rows[len(rows)-1].ID
	}
	return c.JSON(http.StatusOK, out)
}

// serveOpenAPI serves the API's OpenAPI document.
func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", OpenAPI)
}

// answerVerification is the JSON API's answer to a played attempt, the
// same for a game's own players and for game accounts (game.go): a
// problem for what the verdict mapping says is not a 200, else the
// verification with what was verified.
func answerVerification(c echo.Context, res *quest.Result, objective string, player APIPlayerRef) error {
	sub := res.Submission
	v := templates.NewVerdict(c.Request().Context(), templates.ResultFacts(res))
	if v.Status != http.StatusOK {
		p := &Problem{Status: v.Status, Reason: string(sub.Reason), SubmissionID: sub.ID, Verdict: &v}
		if templates.AsksToWait(v.Status) {
			p.RetryAfter = res.RetryAfter
			if p.RetryAfter <= 0 {
				p.RetryAfter = defaultRetryAfter
			}
		}
		return p
	}
	status := "rejected"
	if sub.Reason.Success() {
		status = string(sub.Reason)
	}
	if res.RetryAfter > 0 {
		setRetryAfter(c, res.RetryAfter)
	}
	items := res.Items
	if items == nil {
		items = []string{}
	}
	return c.JSON(http.StatusOK, VerificationResponse{
		Status: status, Reason: string(sub.Reason), Title: v.Title, Message: v.Help, Next: nextStepOf(v),
		Objective: objective, SID: sub.SID, XP: res.XP, Items: items, SubmissionID: sub.ID,
		Player: player, Verified: verifiedOf(sub.Message),
	})
}
