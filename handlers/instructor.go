package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/auth"
	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/templates"
)

// Grader is the part of *quest.Service the instructors act through:
// re-verifying a submission and regrading by hand go through the same
// rules, recording and live events as a player's HACK.
type Grader interface {
	Catalog() *catalog.Catalog
	Submit(ctx context.Context, a quest.Attempt) (*quest.Result, error)
	Regrade(ctx context.Context, r quest.Regrade) error
	MediaSource
}

// InstructorData is the part of *store.Store the instructor pages read,
// plus erasing a player, which needs no domain rule.
type InstructorData interface {
	InstructorByEmail(ctx context.Context, email string) (quest.Instructor, error)
	Instructor(ctx context.Context, id int64) (quest.Instructor, error)
	ListSubmissions(ctx context.Context, f quest.SubmissionFilter, before int64, limit int) ([]quest.SubmissionRow, error)
	NewerSubmissions(ctx context.Context, f quest.SubmissionFilter, after int64, limit int) ([]quest.SubmissionRow, error)
	EachSubmission(ctx context.Context, f quest.SubmissionFilter, fn func(quest.SubmissionRow) error) error
	AnySubmission(ctx context.Context, id int64) (quest.SubmissionRow, error)
	Player(ctx context.Context, id string) (quest.Player, error)
	Awards(ctx context.Context, playerID string) (map[string]quest.Award, error)
	ProgressSummary(ctx context.Context, cohortID int64, objectiveIDs []string) (quest.ProgressSummary, error)
	ProgressView(ctx context.Context, q quest.ProgressQuery, objectiveIDs []string) (quest.ProgressSummary, []quest.ProgressRow, int, error)
	ProgressOf(ctx context.Context, playerID string, objectives int) (quest.ProgressRow, error)
	EachProgress(ctx context.Context, cohortID int64, fn func(quest.ProgressRow) error) error
	AuditLog(ctx context.Context, playerID string) ([]quest.AuditEntry, error)
	DeletePlayer(ctx context.Context, playerID string) error
	ListCohorts(ctx context.Context) ([]quest.CohortSummary, error)
	Cohort(ctx context.Context, id int64) (quest.Cohort, error)
	SetArchived(ctx context.Context, id int64, archived bool) error
}

// CohortEditor is the part of *quest.Players that creates and renames
// cohorts, where the rules on their names and join codes live.
type CohortEditor interface {
	CreateCohort(ctx context.Context, typedName string) (quest.Cohort, error)
	RenameCohort(ctx context.Context, id int64, typedName string) (string, error)
}

// InstructorConfig wires the instructors' dashboard.
type InstructorConfig struct {
	Quests Grader
	Data   InstructorData
	// Cohorts creates and renames cohorts.
	Cohorts CohortEditor
	// PublicURL is where players reach the server, for the join links
	// shown to instructors; empty takes the request's own address.
	PublicURL string
	// Sessions carries who is signed in, in the players' sessions. The
	// instructor's id has its own key, so one browser may be a player and
	// an instructor at once, and signing out as an instructor leaves the
	// player's session alone.
	Sessions *Sessions
	// Live tells the live views about new submissions and regrades.
	Live live.Subscriber
	// AccountLimiter bounds sign-in attempts per email and client address
	// together, so that a stranger's wrong passwords do not lock the owner
	// out from their own address; AccountCeiling bounds an email's attempts
	// from all addresses, and IPLimiter an address's on all emails. Nil
	// picks DefaultAccountLimiter, DefaultAccountCeiling and
	// DefaultIPLimiter, on the clock Now.
	AccountLimiter, AccountCeiling, IPLimiter LoginLimiter
	// Heartbeat is how often a live view's idle stream gets a comment, so
	// that proxies keep it open (default 20 s). ProgressEvery is the most
	// often the progress view is told to refresh (default 2 s).
	Heartbeat, ProgressEvery time.Duration
	// Heartbeats, when set, gives each live view its heartbeat ticks (and
	// a stop for them) in place of a ticker every Heartbeat: tests tick by
	// hand rather than wait.
	Heartbeats func() (ticks <-chan time.Time, stop func())
	// Now dates exports; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
	// Webhooks, when set, adds the webhook deliveries page.
	Webhooks WebhookData
	// Workshop, when set, adds the workshop day: the wall, event windows,
	// announcements, who is stuck, hints taken and rosters.
	Workshop WorkshopData
	// Publish tells the live views (the wall, players' pages) of
	// announcements and event window changes.
	Publish live.Publisher
	// WallEvery is the most often the wall is sent again (default 1 s).
	WallEvery time.Duration
	// Extensions, when set, offers each open cohort's TwilioQuest
	// extension for download on its page.
	Extensions ExtensionExporter
}

// Instructor serves the instructors' dashboard under /instructor: sign-in,
// submissions, progress, player pages and the actions on them.
type Instructor struct {
	cfg InstructorConfig
	sm  *scs.SessionManager
}

// NewInstructor returns the instructors' dashboard.
func NewInstructor(cfg InstructorConfig) *Instructor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AccountLimiter == nil {
		cfg.AccountLimiter = DefaultAccountLimiter(cfg.Now)
	}
	if cfg.AccountCeiling == nil {
		cfg.AccountCeiling = DefaultAccountCeiling(cfg.Now)
	}
	if cfg.IPLimiter == nil {
		cfg.IPLimiter = DefaultIPLimiter(cfg.Now)
	}
	if cfg.WallEvery <= 0 {
		cfg.WallEvery = time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 20 * time.Second
	}
	if cfg.Heartbeats == nil {
		every := cfg.Heartbeat
		cfg.Heartbeats = func() (<-chan time.Time, func()) {
			t := time.NewTicker(every)
			return t.C, t.Stop
		}
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Instructor{cfg: cfg, sm: cfg.Sessions.Manager()}
}

// instructorSessionKey holds the signed-in instructor's id in the session,
// and instructorUntilKey when that sign-in ends (Unix seconds).
const (
	instructorSessionKey = "instructor_id"
	instructorUntilKey   = "instructor_until"
)

// InstructorSignIn is how long an instructor stays signed in. The session
// itself lives as long as a player's (weeks), which is too long for an
// account that can regrade and delete players, so the sign-in has its own
// end: a workshop day.
const InstructorSignIn = 12 * time.Hour

// instructorCtxKey holds the signed-in quest.Instructor in echo's context.
const instructorCtxKey = "questgate.instructor"

// The dashboard's own addresses.
const (
	loginPath       = "/instructor/login"
	submissionsPath = "/instructor/submissions"
	progressPath    = "/instructor/progress"
)

// Routes mounts the dashboard on g, which must be the "/instructor" group.
// Signing in and out are open; every other route needs a signed-in
// instructor (requireInstructor). Middleware goes on each route, not on
// the group, so unknown addresses stay plain 404s.
func (h *Instructor) Routes(g *echo.Group) {
	s := h.cfg.Sessions.LoadAndSave()
	a := h.requireInstructor
	g.GET("/login", h.loginForm, s)
	g.POST("/login", h.login, s)
	g.POST("/logout", h.logout, s)

	g.GET("", h.home, s, a)
	g.GET("/", h.home, s, a)
	g.GET("/submissions", h.submissions, s, a)
	g.GET("/submissions.csv", h.submissionsCSV, s, a)
	g.GET("/submissions/live", h.submissionsLive, s, a)
	g.GET("/submissions/:id", h.submission, s, a)
	g.POST("/submissions/:id/reverify", h.reverify, s, a)
	g.GET("/submissions/:id/media/:n", h.media, s, a)
	g.GET("/progress", h.progress, s, a)
	g.GET("/progress.csv", h.progressCSV, s, a)
	g.GET("/progress/live", h.progressLive, s, a)
	g.GET("/players/:id", h.player, s, a)
	g.POST("/players/:id/regrade", h.regrade, s, a)
	g.GET("/players/:id/delete", h.confirmDelete, s, a)
	g.POST("/players/:id/delete", h.deletePlayer, s, a)
	h.cohortRoutes(g, s, a)
	h.workshopRoutes(g, s, a)
	if h.cfg.Webhooks != nil {
		g.GET("/webhooks", h.webhooks, s, a)
		g.POST("/webhooks/:id/redeliver", h.redeliver, s, a)
	}
}

// requireInstructor lets signed-in instructors through. Anyone else
// reading a page is sent to the sign-in form, which brings them back; any
// other method is refused outright, since replaying a POST after signing
// in would act on a form the visitor never saw.
func (h *Instructor) requireInstructor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		in, ok, err := h.signedIn(c)
		if err != nil {
			return err
		}
		if !ok {
			if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
				return c.Redirect(http.StatusSeeOther, loginPath+"?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return echo.NewHTTPError(http.StatusForbidden)
		}
		c.Set(instructorCtxKey, in)
		c.SetRequest(c.Request().WithContext(templates.WithInstructor(c.Request().Context(), in.Email)))
		return next(c)
	}
}

// signedIn returns the session's instructor. An instructor removed since
// signing in is signed out at once.
func (h *Instructor) signedIn(c echo.Context) (quest.Instructor, bool, error) {
	ctx := c.Request().Context()
	id := h.sm.GetInt64(ctx, instructorSessionKey)
	if id == 0 {
		return quest.Instructor{}, false, nil
	}
	if h.cfg.Now().Unix() >= h.sm.GetInt64(ctx, instructorUntilKey) {
		h.sm.Remove(ctx, instructorSessionKey)
		h.sm.Remove(ctx, instructorUntilKey)
		return quest.Instructor{}, false, nil
	}
	in, err := h.cfg.Data.Instructor(ctx, id)
	if errors.Is(err, quest.ErrNotFound) {
		h.sm.Remove(ctx, instructorSessionKey)
		return quest.Instructor{}, false, nil
	}
	if err != nil {
		return quest.Instructor{}, false, err
	}
	return in, true, nil
}

// instructorOf returns the request's instructor, set by requireInstructor.
func instructorOf(c echo.Context) quest.Instructor {
	in, _ := c.Get(instructorCtxKey).(quest.Instructor)
	return in
}

// home is the dashboard's front door: the submissions.
func (h *Instructor) home(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, submissionsPath)
}

// afterLogin is where a sign-in leads: next when it is a dashboard page,
// else the submissions. Only local dashboard paths are followed, so the
// form cannot be used to send anyone elsewhere.
func afterLogin(next string) string {
	p := localPath(next)
	if p == "/instructor" || strings.HasPrefix(p, "/instructor/") && !strings.HasPrefix(p, loginPath) {
		return p
	}
	return submissionsPath
}

// loginForm shows the sign-in form, or sends a signed-in instructor on.
func (h *Instructor) loginForm(c echo.Context) error {
	if _, ok, err := h.signedIn(c); err != nil {
		return err
	} else if ok {
		return c.Redirect(http.StatusSeeOther, afterLogin(c.QueryParam("next")))
	}
	props := templates.LoginProps{Next: afterLogin(c.QueryParam("next"))}
	if c.QueryParam("signed_out") != "" {
		props.Notice = "instructor.login.signed_out"
	}
	return render(c, http.StatusOK, templates.LoginPage(props))
}

// login checks an email and password. Unknown emails cost the same time
// as wrong passwords and get the same answer, so the form does not tell
// who is an instructor. Attempts are limited per address, per email and
// address, and per email (a much higher ceiling), in that order: an
// attempt refused by one limit does not count against the next.
func (h *Instructor) login(c echo.Context) error {
	ctx := c.Request().Context()
	form, ferr := readForm(c, "email", "password")
	if ferr != nil {
		return render(c, http.StatusUnprocessableEntity, templates.LoginPage(templates.LoginProps{Error: ferr.messageID, Next: submissionsPath}))
	}
	props := templates.LoginProps{Email: strings.TrimSpace(form.Get("email")), Next: afterLogin(form.Get("next"))}
	pw := form.Get("password")
	if props.Email == "" || pw == "" {
		props.Error = "instructor.login.empty"
		return render(c, http.StatusUnprocessableEntity, templates.LoginPage(props))
	}
	// An IPv6 client counts as its /64, as for the per-address limit.
	email, addr := strings.ToLower(props.Email), ratelimit.AddressKey(c.RealIP())
	for _, lim := range []struct {
		l   LoginLimiter
		key string
	}{{h.cfg.IPLimiter, addr}, {h.cfg.AccountLimiter, accountAddressKey(email, addr)}, {h.cfg.AccountCeiling, email}} {
		ok, wait, err := lim.l.Take(ctx, lim.key)
		if err != nil {
			// A broken shared store must not lock every instructor out.
			h.cfg.Log.WarnContext(ctx, "sign-in limiter failed, attempt let through", "error", err)
			continue
		}
		if !ok {
			props.Error, props.RetryAfter = "instructor.login.too_many", seconds(wait)
			c.Response().Header().Set("Retry-After", strconv.Itoa(props.RetryAfter))
			return render(c, http.StatusTooManyRequests, templates.LoginPage(props))
		}
	}
	in, err := h.cfg.Data.InstructorByEmail(ctx, props.Email)
	switch {
	case errors.Is(err, quest.ErrNotFound):
		auth.CheckNobody(pw)
	case err != nil:
		return err
	case auth.CheckPassword(in.PasswordHash, pw):
		if err := h.cfg.Sessions.Renew(c); err != nil {
			return err
		}
		h.sm.Put(ctx, instructorSessionKey, in.ID)
		h.sm.Put(ctx, instructorUntilKey, h.cfg.Now().Add(InstructorSignIn).Unix())
		h.cfg.Log.InfoContext(ctx, "instructor signed in", "instructor", in.ID)
		return c.Redirect(http.StatusSeeOther, props.Next)
	}
	h.cfg.Log.InfoContext(ctx, "instructor sign-in refused", "ip", c.RealIP())
	props.Error = "instructor.login.wrong"
	return render(c, http.StatusUnprocessableEntity, templates.LoginPage(props))
}

// logout signs the instructor out. The session token changes and only the
// instructor's key goes: a player's progress in the same browser stays.
func (h *Instructor) logout(c echo.Context) error {
	if err := h.cfg.Sessions.Renew(c); err != nil {
		return err
	}
	ctx := c.Request().Context()
	h.sm.Remove(ctx, instructorSessionKey)
	h.sm.Remove(ctx, instructorUntilKey)
	return c.Redirect(http.StatusSeeOther, loginPath+"?signed_out=1")
}
