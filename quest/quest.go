// Package quest plays objectives: it turns a player's pasted SID into a
// recorded attempt and, when the verifier passes it, an award. It owns the
// order of things (answer repeats from the database, pick the player's
// credentials and the right upstream, verify, record), not HTTP nor SQL.
package quest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/verifier"
)

// ErrUnknownObjective is returned for an objective id the catalog lacks.
var ErrUnknownObjective = errors.New("unknown objective")

// Store is what quest needs to remember attempts and credentials.
type Store interface {
	Credentials(ctx context.Context, playerID string) (store.Credentials, error)
	SaveCredentials(ctx context.Context, c store.Credentials) error
	AwardedSubmission(ctx context.Context, objectiveID, sid string) (store.Submission, error)
	RecordAttempt(ctx context.Context, sub store.Submission, grant *store.Award) (store.Submission, error)
	AwardByHand(ctx context.Context, playerID, objectiveID string, xp int, instructorID int64, reason string) error
	Revoke(ctx context.Context, playerID, objectiveID string, instructorID int64, reason string) error
}

// Verifier decides whether a SID proves an objective, and whether
// credentials open an account.
type Verifier interface {
	Verify(ctx context.Context, req verifier.Request) (verifier.Verdict, error)
	CheckCredentials(ctx context.Context, c verifier.Credentials) error
}

// Sandbox creates and recognises sandbox accounts.
type Sandbox interface {
	CreateAccount(ctx context.Context, friendlyName string) (sid, authToken string, err error)
	IsAccount(ctx context.Context, sid string) (bool, error)
}

// Config wires a Service.
type Config struct {
	Catalog *catalog.Catalog
	Store   Store
	// Twilio verifies against the configured Twilio API.
	Twilio Verifier
	// Sandbox and SandboxVerifier are nil when the sandbox is off.
	Sandbox         Sandbox
	SandboxVerifier Verifier
	// Demo, when set, are the credentials of the server's demo sandbox
	// account, used for players who have not set their own.
	Demo *verifier.Credentials
	// Live, when set, hears of every recorded attempt and regrade.
	Live live.Publisher
	Log  *slog.Logger
}

// Service plays objectives. It is safe for concurrent use.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}
}

// Catalog returns the objectives being played.
func (s *Service) Catalog() *catalog.Catalog { return s.cfg.Catalog }

// Attempt is a player's submission of a SID for an objective.
type Attempt struct {
	PlayerID    string
	ObjectiveID string
	SID         string
	// IP is where the attempt came from, kept for instructors.
	IP string
	// Fresh asks Twilio again even when the SID already won this player
	// the objective: an instructor's re-verification.
	Fresh bool
}

// Result is what an attempt came to.
type Result struct {
	Objective  catalog.Objective
	Submission store.Submission
	// Detail refines Submission.Reason for a more specific message.
	Detail string
	// XP is what this attempt granted: zero unless the reason is awarded.
	XP int
	// RetryAfter says when trying again makes sense, for upstream trouble.
	RetryAfter time.Duration
	// Demo is true when the attempt used the demo sandbox account.
	Demo bool
}

// Submit verifies and records an attempt. Every attempt is recorded, even
// rejected ones and upstream failures; only a failure to record is an error.
func (s *Service) Submit(ctx context.Context, a Attempt) (Result, error) {
	obj, ok := s.cfg.Catalog.Get(a.ObjectiveID)
	if !ok {
		return Result{}, fmt.Errorf("%w: %q", ErrUnknownObjective, a.ObjectiveID)
	}
	res := Result{Objective: obj}
	sub := store.Submission{PlayerID: a.PlayerID, ObjectiveID: obj.ID, RawSID: a.SID, SID: verifier.Normalize(a.SID), IP: a.IP}

	// A SID that already won this player the objective is answered from
	// the database: no second call to Twilio, and no second grant. Another
	// player's awarded SID still goes to Twilio: it is most likely not in
	// this player's account (not_found says so), and when it is (two
	// players sharing one Twilio account) recording refuses it.
	if sub.SID != "" && !a.Fresh {
		prev, err := s.cfg.Store.AwardedSubmission(ctx, obj.ID, sub.SID)
		switch {
		case err == nil && prev.PlayerID == a.PlayerID:
			sub.Message = prev.Message
			sub.Reason = verifier.AlreadyAwarded
			return s.record(ctx, res, sub, nil, "cached")
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return Result{}, err
		}
	}

	creds, sandboxed, err := s.credentials(ctx, a.PlayerID)
	if err != nil {
		return Result{}, err
	}
	res.Demo = sandboxed && creds == *s.cfgDemo()
	v := s.cfg.Twilio
	if sandboxed {
		v = s.cfg.SandboxVerifier
	}
	verdict, err := v.Verify(ctx, verifier.Request{Objective: obj, SID: a.SID, Credentials: creds})
	sub.Upstream = verdict.Upstream
	sub.Message = verdict.Message
	if verdict.SID != "" {
		sub.SID = verdict.SID
	}
	res.Detail = verdict.Detail
	if err != nil {
		var ue *verifier.UpstreamError
		if errors.As(err, &ue) {
			res.RetryAfter = ue.RetryAfter
		}
		sub.Reason = verifier.ReasonOf(err)
		s.cfg.Log.WarnContext(ctx, "twilio could not answer", "objective", obj.ID, "sid", sub.SID,
			"reason", sub.Reason, "error", err)
		return s.record(ctx, res, sub, nil, "upstream")
	}
	if !verdict.Passed {
		sub.Reason = verdict.Reason
		return s.record(ctx, res, sub, nil, "verified")
	}
	return s.record(ctx, res, sub, &store.Award{XP: obj.XP}, "verified")
}

func (s *Service) cfgDemo() *verifier.Credentials {
	if s.cfg.Demo == nil {
		return &verifier.Credentials{}
	}
	return s.cfg.Demo
}

func (s *Service) record(ctx context.Context, res Result, sub store.Submission, grant *store.Award, via string) (Result, error) {
	saved, err := s.cfg.Store.RecordAttempt(ctx, sub, grant)
	if err != nil {
		return Result{}, err
	}
	res.Submission = saved
	if saved.Reason == verifier.Awarded && grant != nil {
		res.XP = grant.XP
	}
	if s.cfg.Live != nil {
		s.cfg.Live.Publish(ctx, live.Event{Kind: live.Submission, SubmissionID: saved.ID, PlayerID: saved.PlayerID,
			ObjectiveID: saved.ObjectiveID, Reason: string(saved.Reason), At: saved.CreatedAt})
	}
	s.cfg.Log.InfoContext(ctx, "verification", "objective", saved.ObjectiveID, "player", saved.PlayerID,
		"sid", saved.SID, "reason", saved.Reason, "detail", res.Detail, "via", via,
		"upstream_ms", saved.Upstream.Milliseconds(), "submission", saved.ID)
	return res, nil
}

// credentials returns the credentials to verify a player's attempt with,
// and whether they belong to the sandbox. Without stored credentials a
// player uses the demo sandbox account when there is one, and otherwise
// gets zero credentials (the verifier answers no_credentials).
func (s *Service) credentials(ctx context.Context, playerID string) (verifier.Credentials, bool, error) {
	c, err := s.cfg.Store.Credentials(ctx, playerID)
	switch {
	case err == nil:
		return verifier.Credentials{AccountSID: c.AccountSID, APIKeySID: c.APIKeySID, Secret: c.Secret},
			c.Sandbox && s.cfg.SandboxVerifier != nil, nil
	case !errors.Is(err, store.ErrNotFound):
		return verifier.Credentials{}, false, err
	case s.cfg.Demo != nil && s.cfg.SandboxVerifier != nil:
		return *s.cfg.Demo, true, nil
	default:
		return verifier.Credentials{}, false, nil
	}
}
