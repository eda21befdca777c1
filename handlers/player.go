package handlers

import (
	"context"
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/templates"
)

// Quests is the part of *quest.Service the player pages use.
type Quests interface {
	Catalog() *catalog.Catalog
	Submit(ctx context.Context, a quest.Attempt) (*quest.Result, error)
	SaveCredentials(ctx context.Context, playerID, accountSID, apiKeySID, secret string) (quest.Saved, error)
	UseSandboxAccount(ctx context.Context, playerID string) (quest.Saved, error)
	SavedCredentials(ctx context.Context, playerID string) (quest.Saved, error)
	EnsureCredentials(ctx context.Context, playerID string) (quest.Saved, error)
	SandboxEnabled() bool
	Missing(o *catalog.Objective, awards map[string]quest.Award) []catalog.Objective
	LeadsOn(done *catalog.Objective, awards map[string]quest.Award) quest.LeadsOn
	Open(ctx context.Context, playerID, objectiveID string) (time.Time, error)
	AddNumber(ctx context.Context, playerID, raw string) (string, error)
	RemoveNumber(ctx context.Context, playerID, number string) error
	Numbers(ctx context.Context, playerID string) ([]string, error)
	MediaSource
}

// PlayerData is the part of *store.Store the player pages read, plus
// forgetting credentials, which needs no domain rule. It holds no way to
// read a secret: pages get what they may show from Quests.
type PlayerData interface {
	PlayerStore
	DeleteCredentials(ctx context.Context, playerID string) error
	Submission(ctx context.Context, playerID string, id int64) (quest.Submission, error)
	Awards(ctx context.Context, playerID string) (map[string]quest.Award, error)
	// Attempts counts a player's attempts at each objective, in one query.
	Attempts(ctx context.Context, playerID string) (map[string]int, error)
	RecentSubmissions(ctx context.Context, playerID, objectiveID string, limit int) ([]quest.Submission, error)
	// Cohort is the quest map's "your workshop" line.
	Cohort(ctx context.Context, id int64) (quest.Cohort, error)
}

// Player serves the pages a player uses: the objectives, the hack
// interface and the Twilio credentials.
type Player struct {
	quests    Quests
	data      PlayerData
	sessions  *Sessions
	publicURL string
}

// NewPlayer returns the player pages, whose players come from sessions.
// publicURL is where players reach this server
// ("https://questgate.example"); the sandbox's code examples point at it.
// When empty, the request's own scheme and host are used.
func NewPlayer(quests Quests, data PlayerData, sessions *Sessions, publicURL string) *Player {
	return &Player{quests: quests, data: data, sessions: sessions, publicURL: strings.TrimRight(publicURL, "/")}
}

// Routes mounts the player pages on g. Every handler acts for the
// request's player: the pages that only show take the session's player
// if it has one (MaybePlayer), and an anonymous visitor reads them
// without becoming one; opening an objective, HACKing and every form make
// the player on this first action (WithPlayer).
//
// The player middleware goes on each route, not on the group: a group's
// middleware also runs for its catch-all 404 route, and would run for
// every bot probing unknown URLs.
func (h *Player) Routes(g *echo.Group) {
	act, view := h.sessions.WithPlayer(), h.sessions.MaybePlayer()
	g.GET("/", h.home, view)
	g.GET("/objectives/:id", h.objective, h.knownObjective, act)
	g.POST("/objectives/:id/hack", h.hack, h.knownObjective, act)
	// The form's address, opened or reloaded (an old bookmark, a browser
	// restoring a tab), leads to the objective rather than to a 405.
	g.GET("/objectives/:id/hack", h.toObjective, h.knownObjective)
	g.GET("/credentials", h.credentials, view)
	g.POST("/credentials", h.saveCredentials, act)
	g.POST("/credentials/sandbox", h.useSandbox, act)
	g.POST("/credentials/delete", h.deleteCredentials, act)
	g.POST("/credentials/numbers", h.addNumber, act)
	g.POST("/credentials/numbers/delete", h.removeNumber, act)
	g.GET("/submissions/:id", h.submission, view)
	g.GET("/submissions/:id/media/:n", h.media, view)
}

// knownObjective answers 404 for an objective the catalog lacks before
// any player is made: opening a page that does not exist is no action.
func (h *Player) knownObjective(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !h.quests.Catalog().Has(c.Param("id")) {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		return next(c)
	}
}

// recentAttempts is how many past attempts the hack interface lists.
const recentAttempts = 5

// home lists the objectives with the player's progress.
func (h *Player) home(c echo.Context) error {
	ctx := c.Request().Context()
	p := playerOf(c)
	awards := map[string]quest.Award{}
	account := templates.AccountStatus{SandboxPending: h.quests.SandboxEnabled()}
	if p.ID != "" {
		var err error
		if awards, err = h.data.Awards(ctx, p.ID); err != nil {
			return err
		}
		if account, _, err = h.account(c, false, nil); err != nil {
			return err
		}
	}
	// A constant number of queries whatever the number of objectives:
	// the awards, the attempts at every objective, the credentials.
	attempts := map[string]int{}
	if p.ID != "" {
		var err error
		if attempts, err = h.data.Attempts(ctx, p.ID); err != nil {
			return err
		}
	}
	props := templates.HomeProps{Account: account, PlayerName: p.DisplayName}
	if p.CohortID != 0 {
		cohort, err := h.data.Cohort(ctx, p.CohortID)
		switch {
		case err == nil:
			props.Cohort = cohort.Name
		case !errors.Is(err, quest.ErrNotFound):
			return err
		}
	}
	for _, o := range h.quests.Catalog().All() {
		card := templates.ObjectiveCard{Objective: o, Missing: h.quests.Missing(&o, awards)}
		if a, ok := awards[o.ID]; ok {
			card.Award = &a
			props.TotalXP += a.XP
		} else {
			card.Tried = attempts[o.ID] > 0
		}
		props.Cards = append(props.Cards, card)
		props.MaxXP += o.XP
	}
	return render(c, http.StatusOK, templates.HomePage(props))
}

// objective shows an objective with a ready hack interface, and records
// the player's first visit (checks.created_after_opened counts from it).
// A player without credentials gets, while the sandbox is on, a sandbox
// account of their own, which the code examples use.
// A locked objective is shown too, so the player can read what is ahead,
// but its first visit is recorded only once it unlocks.
func (h *Player) objective(c echo.Context) error {
	o, ok := h.quests.Catalog().Lookup(c.Param("id"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	props, err := h.objectiveProps(c, templates.HackProps{Objective: o}, pageState{})
	if err == nil && len(props.Missing) == 0 {
		_, err = h.quests.Open(c.Request().Context(), playerOf(c).ID, o.ID)
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.ObjectivePage(props))
}

// defaultRetryAfter is the Retry-After sent with Twilio trouble when
// Twilio gave no delay of its own. The page's words stay vaguer ("in a
// moment"), as the delay is a guess.
const defaultRetryAfter = 30 * time.Second

// hack checks a pasted SID. The answer's status is the verdict's, as the
// API and the widget answer it (templates.StatusOf): 200 for a verdict on
// the SID, the player's answer being a normal outcome; 422 when the
// credentials do not let it be checked; 429 (the player's failure budget)
// or 503 (Twilio's trouble) with Retry-After. htmx swaps all of them in
// (see templates' htmxConfig). An htmx request gets the hack panel alone,
// a plain form post the whole page.
func (h *Player) hack(c echo.Context) error {
	id := c.Param("id")
	if !h.quests.Catalog().Has(id) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	sid, ferr := readHackForm(c)
	if ferr != nil {
		return h.answerHack(c, id, ferr, nil)
	}
	ctx := c.Request().Context()
	if isHTMX(c) {
		// The hack panel lists the player's latest attempts under the
		// verdict: the store may read them as it records this one.
		ctx = quest.WithRecentAttempts(ctx, recentAttempts)
		c.SetRequest(c.Request().WithContext(ctx))
	}
	// The player's own sandbox account, made now if they have none yet
	// (never anyone else's), in the attempt's one read of their
	// credentials. Without the sandbox there is nothing to make.
	res, err := h.quests.Submit(ctx, quest.Attempt{PlayerID: playerOf(c).ID, ObjectiveID: id,
		SID: sid, IP: c.RealIP(), EnsureCredentials: h.quests.SandboxEnabled()})
	if errors.Is(err, quest.ErrUnknownObjective) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return h.answerHack(c, id, nil, res)
}

// answerHack answers a HACK: with the form's error ferr, or with the
// attempt's result res. It is a function of its own, apart from hack, so
// that the page's values are not on the stack while the attempt waits
// for Twilio: a thousand HACKs in flight each held them for nothing.
func (h *Player) answerHack(c echo.Context, id string, ferr *formError, res *quest.Result) error {
	o, _ := h.quests.Catalog().Lookup(id)
	ctx := c.Request().Context()
	p := playerOf(c)
	hp := templates.HackProps{Objective: o}
	status := http.StatusOK
	if ferr != nil {
		hp.FormError, status = ferr.messageID, http.StatusUnprocessableEntity
	} else {
		hp.Result = res
		// What quest gives back, not what was typed: a secret pasted by
		// mistake comes back masked, a huge paste clipped.
		hp.SID = res.Paste
		if res.Submission.Reason.Success() {
			// The field is for the next attempt; the proof is in the result.
			hp.SID = ""
		}
		status = verdictStatus(c, res)
		if res.Submission.Reason == quest.Awarded {
			leads := h.quests.LeadsOn(o, res.Awards)
			hp.LeadsOn = &leads
		}
		// Without JavaScript, a verdict is answered with Post/Redirect/Get
		// to the attempt's own page, which shows the same result and can
		// be reloaded (nothing is posted again) and kept. Answers that ask
		// to act or wait (422, 429, 503) keep their status and render in
		// place: there is nothing there worth keeping.
		if !isHTMX(c) && status == http.StatusOK && res.Submission.ID > 0 {
			return c.Redirect(http.StatusSeeOther, "/submissions/"+strconv.FormatInt(res.Submission.ID, 10))
		}
	}
	if isHTMX(c) {
		attempts, err := h.data.RecentSubmissions(ctx, p.ID, o.ID, recentAttempts)
		if err != nil {
			return err
		}
		hp.Attempts = attempts
		hp.Locked = hp.Result != nil && hp.Result.Submission.Reason == quest.Locked
		return render(c, status, templates.HackPanel(hp))
	}
	return h.answerPage(c, status, &hp)
}

// answerPage answers a HACK posted without htmx that did not come to a
// verdict worth a page of its own: the objective page again, around the
// hack panel hp. It is a function apart from answerHack, whose frame
// htmx's answers keep small: the page's values are a kilobyte and more.
func (h *Player) answerPage(c echo.Context, status int, hp *templates.HackProps) error {
	// The page shows what the attempt read (awards, credentials) rather
	// than reading them again.
	var known pageState
	if hp.Result != nil {
		known = pageState{awards: hp.Result.Awards, stored: hp.Result.Stored}
	}
	props, err := h.objectiveProps(c, *hp, known)
	if err != nil {
		return err
	}
	return render(c, status, templates.ObjectivePage(props))
}

// toObjective sends a GET of the hack form's address to the objective's
// hack interface.
func (h *Player) toObjective(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/objectives/"+url.PathEscape(c.Param("id"))+"#hack-panel")
}

// pageState is what an objective page shows that an attempt may have read
// already: a nil field is read by objectiveProps.
type pageState struct {
	awards map[string]quest.Award
	stored *quest.Stored
}

// objectiveProps gathers the page of hack's objective around hack's
// state, the player's latest attempts included.
func (h *Player) objectiveProps(c echo.Context, hack templates.HackProps, known pageState) (templates.ObjectiveProps, error) {
	o := hack.Objective
	ctx := c.Request().Context()
	p := playerOf(c)
	status, account, err := h.account(c, true, known.stored)
	if err != nil {
		return templates.ObjectiveProps{}, err
	}
	props := templates.ObjectiveProps{Objective: o, Account: account, Status: status, Hack: hack}
	if account.Secret != "" {
		// The examples carry the player's sandbox token.
		noStore(c)
	}
	awards := known.awards
	if awards == nil {
		if awards, err = h.data.Awards(ctx, p.ID); err != nil {
			return templates.ObjectiveProps{}, err
		}
	}
	if a, ok := awards[o.ID]; ok {
		props.Award = &a
	} else {
		props.Missing = h.quests.Missing(o, awards)
	}
	props.Hack.Locked = len(props.Missing) > 0
	if props.Hack.Attempts, err = h.data.RecentSubmissions(ctx, p.ID, o.ID, recentAttempts); err != nil {
		return templates.ObjectiveProps{}, err
	}
	return props, nil
}

// account says whose Twilio account the player's attempts use and what the
// code examples may show of it: a real account's secret never leaves
// here, the player's own sandbox account's token does, since it guards
// nothing real, on pages sent to that player alone and never stored by a
// cache (the caller sends Cache-Control: no-store). With ensure, a player without credentials first gets a sandbox
// account of their own while the sandbox is on (EnsureCredentials).
//
// stored, when set, is what an attempt read of the credentials already:
// nothing is read again.
func (h *Player) account(c echo.Context, ensure bool, stored *quest.Stored) (templates.AccountStatus, templates.Account, error) {
	a := templates.Account{SandboxURL: h.baseURL(c) + "/sandbox"}
	var (
		creds quest.Saved
		err   error
	)
	switch {
	case stored != nil && stored.Found:
		creds = stored.Saved
	case stored != nil:
		err = quest.ErrNotFound
	case ensure:
		creds, err = h.ensureCredentials(c)
	default:
		creds, err = h.quests.SavedCredentials(c.Request().Context(), playerOf(c).ID)
	}
	switch {
	case err == nil:
		// A sandbox account saved while the server ran its sandbox gets
		// examples aimed at it only while it still runs.
		a.AccountSID, a.APIKeySID = creds.AccountSID, creds.APIKeySID
		a.Sandbox = creds.Sandbox && h.quests.SandboxEnabled()
		if a.Sandbox {
			a.Secret = creds.SandboxSecret
		}
		return templates.AccountStatus{Saved: true, Sandbox: a.Sandbox}, a, nil
	case !errors.Is(err, quest.ErrNotFound):
		return templates.AccountStatus{}, templates.Account{}, err
	}
	return templates.AccountStatus{SandboxPending: h.quests.SandboxEnabled()}, a, nil
}

// ensureCredentials returns the request's player's credentials, giving
// them a sandbox account of their own first when they have none and the
// sandbox is on; quest.ErrNotFound when they have none and it is off.
func (h *Player) ensureCredentials(c echo.Context) (quest.Saved, error) {
	return h.quests.EnsureCredentials(c.Request().Context(), playerOf(c).ID)
}

// submission shows one of the player's attempts again: the hack
// interface as it stood after the attempt (the page a HACK without
// JavaScript lands on), with its debug info. Another player's attempt is
// a 404, exactly like one that does not exist, so ids reveal nothing.
// The attempt that won the objective shows what it granted and where it
// leads; a repeat shows its result quietly.
func (h *Player) submission(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	p := playerOf(c)
	sub, err := h.data.Submission(ctx, p.ID, id)
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	o, ok := h.quests.Catalog().Get(sub.ObjectiveID)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	awards, err := h.data.Awards(ctx, p.ID)
	if err != nil {
		return err
	}
	res := quest.Result{Objective: o, Submission: sub, Detail: sub.Detail, Awards: awards,
		Account: quest.Account{Kind: sub.AccountKind, AccountSID: sub.AccountSID}}
	hp := templates.HackProps{Objective: &o, Result: &res}
	if a, ok := awards[o.ID]; ok && sub.Reason == quest.Awarded && a.SubmissionID == sub.ID {
		res.XP, res.Items = a.XP, a.Items
		leads := h.quests.LeadsOn(&o, awards)
		hp.LeadsOn = &leads
	}
	if a, ok := awards[o.ID]; ok && sub.Reason == quest.AlreadyAwarded && sub.Message == nil && a.SubmissionID != 0 && a.SID == sub.SID {
		// A repeat keeps no copy of what Twilio said: the win has it.
		if won, err := h.data.Submission(ctx, p.ID, a.SubmissionID); err == nil {
			res.Submission.Message = won.Message
		} else if !errors.Is(err, quest.ErrNotFound) {
			return err
		}
	}
	if !sub.Reason.Success() {
		// The field is for the next attempt: what was pasted, to fix.
		hp.SID = sub.RawSID
	}
	if sub.Reason == quest.Locked {
		res.Missing = h.quests.Missing(&o, awards)
		hp.Locked = len(res.Missing) > 0
	}
	if hp.Attempts, err = h.data.RecentSubmissions(ctx, p.ID, o.ID, recentAttempts); err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.SubmissionPage(templates.SubmissionProps{Hack: hp}))
}

// media serves a picture of one of the player's own MMS submissions,
// fetched again from their own account (serveMedia). Another player's
// submission is a 404, exactly like one that does not exist.
func (h *Player) media(c echo.Context) error {
	noStore(c) // until a picture is served
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	n, ok := mediaIndex(c)
	p := playerOf(c)
	if err != nil || id <= 0 || !ok || p.ID == "" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	sub, err := h.data.Submission(c.Request().Context(), p.ID, id)
	if errors.Is(err, quest.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if err != nil {
		return err
	}
	return serveMedia(c, h.quests, sub, n)
}

// baseURL is where players reach this server.
func (h *Player) baseURL(c echo.Context) string {
	if h.publicURL != "" {
		return h.publicURL
	}
	return c.Scheme() + "://" + c.Request().Host
}

// isHTMX reports whether htmx sent the request, which then wants the
// fragment it swaps rather than a whole page.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// seconds rounds d up to whole seconds, the unit of Retry-After and of the
// messages' {{.RetryAfter}}: waiting 1.2 s is waiting 2 s.
func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}

// verdictStatus is the status of an answer carrying res's verdict, the
// same on the pages, the widget and the API; an answer asking the client
// to wait (429, 503) says how long in Retry-After.
func verdictStatus(c echo.Context, res *quest.Result) int {
	status := templates.StatusOf(res.Submission.Reason)
	if templates.AsksToWait(status) {
		setRetryAfter(c, res.RetryAfter)
	}
	return status
}

// setRetryAfter tells clients when to try again: the delay Twilio or a
// limit gave, else defaultRetryAfter.
func setRetryAfter(c echo.Context, d time.Duration) {
	if d <= 0 {
		d = defaultRetryAfter
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds(d)))
}

// formError is a form that could not be read at all: a field missing (a
// stale page, a hand-made request). Nothing was done; the page says so in
// the player's language with messageID.
type formError struct{ messageID string }

// readForm reads a URL-encoded form in which every required field is
// present (empty is fine: what an empty value means is the domain's call).
// It is the only way the player pages read a form, so every one of them
// fails whole, never half-read: it parses the body limitBody kept, whoever
// read the request's body before (the CSRF check parses the form for its
// token, and net/http skips a malformed pair, keeping the rest), and any
// malformed pair fails the form. The body's size was bounded by limitBody,
// so a form too large never reaches a handler.
func readForm(c echo.Context, required ...string) (url.Values, *formError) {
	missing := &formError{"form.missing"}
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationForm {
		return nil, missing
	}
	body, _ := c.Get(bodyKey).([]byte)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, missing
	}
	for _, name := range required {
		if _, ok := form[name]; !ok {
			return nil, missing
		}
	}
	return form, nil
}

// readHackForm reads the hack form: the SID as pasted, cleaned later by
// the verifier.
func readHackForm(c echo.Context) (string, *formError) {
	form, ferr := readForm(c, "sid")
	if ferr != nil {
		return "", ferr
	}
	return form.Get("sid"), nil
}
