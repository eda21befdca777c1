package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/ratelimit"
	"github.com/questgate/questgate/templates"
)

// GameSignIns is the part of *quest.GamePlayers the game API uses.
type GameSignIns interface {
	SignIn(ctx context.Context, in quest.GameSignIn) (quest.GamePlayer, error)
}

// GameQuests is the part of *quest.Service the game API uses.
type GameQuests interface {
	APIQuests
	Open(ctx context.Context, playerID, objectiveID string) (time.Time, error)
}

// GameAPI serves the verifications of games that hand every player the
// same extension (TwilioQuest): no API key (the extension would share it
// with everyone), the player known by their Twilio account and proved by
// its credentials, the cohort by its join code in the URL.
type GameAPI struct {
	quests  GameQuests
	players GameSignIns
}

// NewGameAPI returns the game API.
func NewGameAPI(quests GameQuests, players GameSignIns) *GameAPI {
	return &GameAPI{quests: quests, players: players}
}

// Routes mounts the game API on g, which must be the /api group.
func (h *GameAPI) Routes(g *echo.Group) {
	g.POST("/v1/cohorts/:code/verifications", h.verify)
}

// gameVerificationRequest is the body of POST
// /api/v1/cohorts/{code}/verifications.
type gameVerificationRequest struct {
	Objective   string `json:"objective"`
	SID         string `json:"sid"`
	Name        string `json:"name"`
	Credentials *struct {
		AccountSID string `json:"account_sid"`
		AuthToken  string `json:"auth_token"`
	} `json:"credentials"`
}

// verify signs the player in (quest.GamePlayers.SignIn), then plays the
// attempt with the credentials it came with, which are kept nowhere.
// Answers are the JSON API's: 200 with the verdict, or a problem.
func (h *GameAPI) verify(c echo.Context) error {
	// As the JSON API's verify, the request is read in a call of its
	// own, which returns before the verification.
	r, err := h.readVerification(c)
	if err != nil {
		return err
	}
	return r.play(c, h.quests)
}

// readVerification reads verify's request and signs its player in: the
// attempt to play, with the credentials it came with.
func (h *GameAPI) readVerification(c echo.Context) (playRequest, error) {
	ctx := c.Request().Context()
	if mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationJSON {
		return playRequest{}, &Problem{Status: http.StatusUnsupportedMediaType, Reason: "unsupported_media_type"}
	}
	body, _ := c.Get(bodyKey).([]byte)
	var req gameVerificationRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return playRequest{}, &Problem{Status: http.StatusBadRequest, Reason: "invalid_json", Err: err}
	}
	if req.Objective == "" {
		return playRequest{}, &Problem{Status: http.StatusBadRequest, Reason: "missing_objective"}
	}
	if _, ok := h.quests.Catalog().Get(req.Objective); !ok {
		return playRequest{}, &Problem{Status: http.StatusNotFound, Reason: "unknown_objective"}
	}
	if req.Credentials == nil || (req.Credentials.AccountSID == "" && req.Credentials.AuthToken == "") {
		return playRequest{}, gameVerdictProblem(ctx, quest.NoCredentials, quest.DetailGame)
	}
	in := quest.GameSignIn{JoinCode: c.Param("code"), Name: req.Name, Address: ratelimit.AddressKey(c.RealIP()),
		Credentials: quest.Credentials{AccountSID: req.Credentials.AccountSID, Secret: req.Credentials.AuthToken}}
	gp, err := h.players.SignIn(ctx, in)
	if err != nil {
		return playRequest{}, gameSignInProblem(ctx, err)
	}
	if gp.New {
		// The game showed the player every objective when they got the
		// extension: a resource made since their first HACK counts for
		// an objective that wants one made after it was opened.
		all := h.quests.Catalog().All()
		for i := range all {
			if _, err := h.quests.Open(ctx, gp.PlayerID, all[i].ID); err != nil {
				return playRequest{}, err
			}
		}
	}
	creds := gp.Credentials
	return playRequest{
		ctx: ctx,
		attempt: quest.Attempt{PlayerID: gp.PlayerID, ObjectiveID: req.Objective, SID: req.SID,
			Game: true, IP: c.RealIP(), Credentials: &creds},
		player: APIPlayerRef{ID: creds.AccountSID},
	}, nil
}

// gameVerdictProblem is a problem carrying the verdict of reason and
// detail, presented by the shared mapping.
func gameVerdictProblem(ctx context.Context, reason quest.Reason, detail string) *Problem {
	v := templates.NewVerdict(ctx, templates.VerdictFacts{Reason: reason, Detail: detail})
	return &Problem{Status: v.Status, Reason: string(reason), Verdict: &v}
}

// gameSignInProblem turns a refused sign-in into its problem.
func gameSignInProblem(ctx context.Context, err error) error {
	var (
		ce *quest.CredentialsError
		ue *quest.UpstreamError
		le *quest.GameLimitError
		ne *quest.NameError
	)
	switch {
	case errors.Is(err, quest.ErrUnknownCohort):
		return &Problem{Status: http.StatusNotFound, Reason: "unknown_cohort"}
	case errors.Is(err, quest.ErrArchivedCohort):
		return &Problem{Status: http.StatusGone, Reason: "cohort_archived"}
	case errors.As(err, &ne):
		return &Problem{Status: http.StatusBadRequest, Reason: "invalid_name", Err: err,
			Data: map[string]any{"Max": quest.MaxDisplayName, "Problem": ne.Problem}}
	case errors.As(err, &ce):
		// The game holds the credentials: the help points at its
		// settings (detail "game"), not at a page of questgate's.
		p := gameVerdictProblem(ctx, quest.BadCredentials, quest.DetailGame)
		p.Err = err
		return p
	case errors.As(err, &ue):
		v := templates.NewVerdict(ctx, templates.VerdictFacts{Reason: ue.Reason, Detail: ue.Detail,
			RetryAfter: ue.RetryAfter, TwilioRetryAfter: ue.TwilioRetryAfter})
		p := &Problem{Status: v.Status, Reason: string(ue.Reason), Verdict: &v, RetryAfter: ue.RetryAfter, Err: err}
		if p.RetryAfter <= 0 {
			p.RetryAfter = defaultRetryAfter
		}
		return p
	case errors.As(err, &le):
		return &Problem{Status: http.StatusTooManyRequests, Reason: "too_many_requests", RetryAfter: le.RetryAfter,
			Data: map[string]any{"RetryAfter": seconds(le.RetryAfter)}, Err: err}
	}
	return err
}
