// Package quest is questgate's domain, the layer every other one points
// at: players and cohorts, credentials, submissions and awards, SID
// parsing, reason and detail codes, verdicts, and the rules of play. It
// turns a player's pasted SID into a recorded attempt and, when the
// verifier passes it, an award, owning the order of things (answer repeats
// from the database, pick the player's credentials and the right
// upstream, verify, record).
//
// It declares the interfaces it needs (Store, Verifier, Sandbox, Metrics,
// Limiter, RefundingStore, PlayerStore, and live.Publisher for the live views) and imports
// no adapter: store, verifier and sandbox implement them, handlers and
// templates speak its types, and cmd/questgate wires them together
// (arch_test.go checks these import rules).
package quest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/keyslots"
	"github.com/questgate/questgate/live"
	"github.com/questgate/questgate/logging"
)

// ErrUnknownObjective is returned for an objective id the catalog lacks.
var ErrUnknownObjective = errors.New("unknown objective")

// Store is what quest needs to remember attempts and credentials: the
// small stores below, which *store.Store implements together.
type Store interface {
	CredentialStore
	AttemptStore
	NumberStore
	RegradeStore
}

// CredentialStore keeps players' Twilio credentials (ErrNotFound for a
// player without any).
type CredentialStore interface {
	Credentials(ctx context.Context, playerID string) (Credentials, error)
	SaveCredentials(ctx context.Context, c Credentials) error
	SaveCredentialsIfNone(ctx context.Context, c Credentials) (bool, error)
}

// AttemptStore records attempts and the awards they grant.
type AttemptStore interface {
	AwardedSubmission(ctx context.Context, objectiveID, sid string) (Submission, error)
	RecordAttempt(ctx context.Context, sub Submission, grant *Award) (Submission, error)
	Awards(ctx context.Context, playerID string) (map[string]Award, error)
	ReserveAttempt(ctx context.Context, sub Submission, lim AttemptLimit) (Submission, time.Duration, error)
	FinishAttempt(ctx context.Context, sub Submission, grant *Award) (Submission, error)
	OpenObjective(ctx context.Context, playerID, objectiveID string) (time.Time, error)
}

// NumberStore keeps the phone numbers players register.
type NumberStore interface {
	PlayerNumbers(ctx context.Context, playerID string) ([]string, error)
	AddPlayerNumber(ctx context.Context, playerID, number string, limit int) error
	RemovePlayerNumber(ctx context.Context, playerID, number string) error
}

// RegradeStore changes awards by an instructor's hand.
type RegradeStore interface {
	AwardByHand(ctx context.Context, playerID, objectiveID string, xp int, instructorID int64, reason string) error
	Revoke(ctx context.Context, playerID, objectiveID string, instructorID int64, reason string) error
}

// Verifier decides whether a SID proves an objective, and whether
// credentials open an account.
type Verifier interface {
	Verify(ctx context.Context, req CheckRequest) (Verdict, error)
	CheckCredentials(ctx context.Context, c Credentials) error
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
	// Failures, when set, bounds how often a player may fail one objective
	// (see Limiter); beyond it attempts are recorded as rate_limited
	// without being checked. Nil: no limit.
	Failures Limiter
	// Live, when set, hears of every recorded attempt and regrade.
	Live live.Publisher
	Log  *slog.Logger
	// Metrics, when set, counts every recorded attempt and every refusal
	// of the failure budget. Nil: nothing is counted.
	Metrics Metrics
	// Events, when set, gives each player's cohort's event window:
	// attempts outside it are refused (event_not_started, event_ended)
	// without being recorded. Nil: no windows.
	Events EventStore
	// Hints, when set, tells what the hints a player revealed cost: an
	// award grants the objective's XP less that. Nil: hints are free.
	Hints HintStore
	// Now is the clock the event windows are read on; time.Now when nil.
	Now func() time.Time
}

// Metrics counts what quest decides, for the operators' dashboards
// (package metrics implements it).
type Metrics interface {
	// Verification counts a recorded attempt: its reason code, the time
	// from submission to record, and the time spent waiting for Twilio
	// (zero when Twilio was not asked).
	Verification(reason string, total, upstream time.Duration)
	// RateLimited counts an attempt refused by the failure budget.
	RateLimited()
}

// startKey carries when an attempt was submitted, for its total latency.
type startKey struct{}

// submittedAt returns when the attempt ctx belongs to was submitted, or
// the zero time.
func submittedAt(ctx context.Context) time.Time {
	t, _ := ctx.Value(startKey{}).(time.Time)
	return t
}

// Service plays objectives. It is safe for concurrent use.
type Service struct {
	cfg Config
	// turns plays a player's identical attempts (same objective, same
	// SID) one at a time: in a double-click storm the first click asks
	// Twilio and the others are answered from the database, instead of
	// every click spending the failure budget while the first is checked.
	turns *keyslots.Slots
	// refunds records attempts with their failure's refund when the
	// Store keeps the failure budget itself; nil otherwise.
	refunds RefundingStore
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, turns: keyslots.New(1)}
	if rs, ok := cfg.Store.(RefundingStore); ok && cfg.Failures != nil && rs.KeepsBudget(cfg.Failures) {
		s.refunds = rs
	}
	return s
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
	// Credentials, when set, are used for this attempt instead of the
	// player's stored ones, and kept nowhere: a game passing its player's
	// credentials in an API call.
	Credentials *Credentials
	// Game marks an attempt a game made (the JSON API, the widget): a
	// player without credentials is then told that the game must send
	// them (DetailGame), not to open a credentials page they do not have.
	Game bool
	// EnsureCredentials gives a player without stored credentials a
	// sandbox account of their own first, while the sandbox is on (see
	// EnsureCredentials): the player pages' HACK, in the same read of the
	// player's credentials as the attempt's.
	EnsureCredentials bool

	// sid is SID normalised, once per attempt (Submit sets it).
	sid string
}

// repeats reports whether a sends again the SID that won the player
// res.Objective, as the awards res read say, without asking Twilio
// afresh.
func (a *Attempt) repeats(res *Result) bool {
	// The award's SID is read in place: a copy of the award would sit
	// on the stack of every HACK waiting for Twilio.
	return a.sid != "" && !a.Fresh && res.Awards[res.Objective.ID].SID == a.sid
}

// Result is what an attempt came to.
type Result struct {
	Objective  catalog.Objective
	Submission Submission
	// Detail refines Submission.Reason for a more specific message.
	Detail string
	// XP is what this attempt granted: zero unless the reason is awarded.
	XP int
	// Awards are the player's awards as this attempt read them, the one
	// it granted included, so that a page shows them without reading them
	// again. Nil when the attempt was refused before they were read.
	Awards map[string]Award
	// Stored is what pages may show of the player's stored credentials,
	// as this attempt read them; nil when it did not read them (an
	// attempt with its own Credentials).
	Stored *Stored
	// RetryAfter says when trying again makes sense, for upstream trouble
	// and for attempts refused by the failure budget.
	RetryAfter time.Duration
	// TwilioRetryAfter is the part of RetryAfter Twilio asked for (its
	// Retry-After header); zero when the wait is questgate's own (a local
	// timeout, an open breaker, the failure budget), so that no message
	// says Twilio suggested it.
	TwilioRetryAfter time.Duration
	// Missing are the prerequisites still to complete, for a locked
	// objective.
	Missing []catalog.Objective
	// Items are the ids of the items this attempt granted.
	Items []string
	// Tries is how many requests Twilio got for this attempt (retries
	// included); zero when none was made.
	Tries int
	// Account is whose account the attempt was (or, answered from the
	// database or refused first, would have been) checked in, as support
	// staff may see it.
	Account Account
	// Paste is what the SID field may show again: the paste with any
	// secret masked, clipped to MaxPasteLen. It is the recorded
	// RawSID, except for a rate_limited attempt, which records nothing of
	// the paste but still gives the player their field back.
	Paste string

	// refund is the failure the attempt took from a budget the Store
	// keeps, for its record to give back (see limited), zero otherwise;
	// refundRecorded says a record took it (gave the failure back, or
	// kept it spent, in the attempt's own transaction).
	refund         Refund
	refundRecorded bool
}

// Kinds of account an attempt is checked in (Account.Kind, and the
// submission's AccountKind).
const (
	AccountReal    = "real"
	AccountSandbox = "sandbox"
	// AccountDemo is the kind of attempts that older versions checked in
	// a demo sandbox account shared by every player without credentials.
	// No attempt is checked in one any more (anyone could read its
	// messages and steal its SIDs); the kind stays for the submissions
	// recorded before.
	AccountDemo = "demo"
	AccountNone = "none"
)

// Account names the account an attempt used without its secret: only the
// secret's last four characters, enough for support to tell two apart.
type Account struct {
	Kind       string
	AccountSID string
	APIKeySID  string
	Last4      string
}

// Submit verifies and records an attempt. Every attempt is recorded, even
// rejected ones, upstream failures and attempts refused by the failure
// budget (Config.Failures); only a failure to record is an error.
//
// Before Twilio is asked: a paste holding a secret is refused as
// invalid_sid/looks_like_token and kept only masked (MaskSecrets); a
// locked objective (prerequisites missing) is refused as locked; a SID
// that already won this player the objective is answered from the
// database; the failure budget is taken; and for an objective with
// max_attempts a place under the limit is reserved atomically, or the
// attempt is refused as attempts_exhausted.
//
// The result is nil with an error. It is a pointer, and the calls below
// complete that one result rather than pass copies along: a HACK waits
// for Twilio down this chain of calls, and results (a kilobyte each) passed
// by value made the chain 37 KB of stack a HACK, 64 KB once rounded up; at
// a thousand HACKs in flight, a third of the server's memory.
func (s *Service) Submit(ctx context.Context, a Attempt) (*Result, error) {
	return s.attempt(ctx, &a)
}

// attempt is Submit, on a of the caller.
func (s *Service) attempt(ctx context.Context, a *Attempt) (*Result, error) {
	o, ok := s.cfg.Catalog.Lookup(a.ObjectiveID)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownObjective, a.ObjectiveID)
	}
	res := &Result{}
	res.Objective = *o
	ctx = context.WithValue(ctx, startKey{}, time.Now())
	a.sid, _ = PickSID(a.SID)
	release, contended, err := s.turns.AcquireContended(ctx, a.PlayerID+"\x00"+a.ObjectiveID+"\x00"+a.sid)
	if err != nil {
		return nil, fmt.Errorf("waiting for the same attempt in flight: %w", err)
	}
	defer release()
	if contended {
		// The same attempt went first, here, and may have won the
		// objective meanwhile, here or on another instance: this one
		// reads the player afresh, not as the request first read them
		// (WithPlayerRead), so that it is answered as a repeat.
		ctx = forgetPlayerRead(ctx)
	}
	if refused, err := s.refusedByEvent(ctx, a, res); err != nil {
		return nil, err
	} else if refused {
		return res, nil
	}
	// The player's awards, read once for the attempt: they decide a
	// locked objective and a repeat (submit), and a repeat skips the
	// failure budget. It is answered from the database and can spend
	// nothing, so the budget would take a failure only to give it back
	// (on PostgreSQL two writes, one of them a commit of its own); it is
	// answered already_awarded even when the player's mistakes have
	// spent the budget.
	awards, err := s.cfg.Store.Awards(ctx, a.PlayerID)
	if err != nil {
		return nil, err
	}
	res.Awards = awards
	if s.cfg.Failures == nil || a.repeats(res) {
		return s.submit(ctx, res, a)
	}
	return s.limited(ctx, res, a, func() (*Result, error) { return s.submit(ctx, res, a) })
}

// submit plays an attempt at res.Objective: Submit without the failure
// budget. It builds the attempt's submission in res.Submission and
// completes res, or returns an error.
//
// A HACK reads and writes the database and waits for Twilio below this
// frame, and a big event has a thousand HACKs waiting at once, each on a
// stack of its own that Go doubles whenever it runs out. So the attempt's
// values live in res, on the heap, and the steps with large values of
// their own (a repeat, a reservation, the check) are functions apart:
// a HACK's stack then stays within 16 KiB instead of 32
// (docs/performance.md, memory).
func (s *Service) submit(ctx context.Context, res *Result, a *Attempt) (*Result, error) {
	obj := &res.Objective
	sub := &res.Submission
	sub.PlayerID, sub.ObjectiveID, sub.RequestID, sub.IP = a.PlayerID, obj.ID, logging.RequestID(ctx), a.IP

	var acc attemptAccount
	if err := s.attemptCredentials(ctx, a, &acc); err != nil {
		return nil, err
	}
	res.Stored = acc.stored
	res.Account = Account{Kind: acc.kind, AccountSID: acc.creds.AccountSID, APIKeySID: acc.creds.APIKeySID, Last4: last4(acc.creds.Secret)}
	sub.AccountSID, sub.AccountKind = acc.creds.AccountSID, acc.kind

	// A paste holding a secret (the player's own in any case, or anything
	// shaped like an Auth Token or API key secret) is refused first, and
	// only its masked form goes on: not the secret to Twilio, the log, the
	// database, a page nor the live view. Whatever else is wrong (a locked
	// objective) matters less than telling the player to rotate it.
	if m, ok := MaskSecrets(a.SID, acc.creds.Secret); ok {
		sub.RawSID, sub.Reason, sub.Detail = m, InvalidSID, DetailLooksLikeToken
		res.Detail = sub.Detail
		return s.finish(ctx, res, nil, false, "refused")
	}
	sub.RawSID, sub.SID = a.SID, a.sid

	_, held := res.Awards[obj.ID]
	if res.Missing = s.Missing(obj, res.Awards); len(res.Missing) > 0 && !held {
		sub.Reason = Locked
		return s.finish(ctx, res, nil, false, "locked")
	}
	res.Missing = nil

	if a.repeats(res) {
		answered, err := s.answerRepeat(ctx, res)
		if err != nil {
			return nil, err
		}
		if answered {
			return res, nil
		}
	}

	// With an attempt limit, hold a place before asking Twilio, so that
	// concurrent attempts cannot all pass the count. A player who holds
	// the objective already is not limited: nothing is left to guess.
	reserved := false
	if obj.Limited() && !held {
		var err error
		if reserved, err = s.reserve(ctx, res); err != nil {
			return nil, err
		}
		if !reserved {
			return res, nil
		}
	}
	return s.check(ctx, res, a, &acc, reserved)
}

// answerRepeat answers from the database a SID that already won this
// player the objective: no second call to Twilio, and no second grant.
// It reports false when the award is not the player's after all (the
// awards it was read from are a moment old): Twilio is then asked.
// Another player's awarded SID still goes to Twilio: it is most likely
// not in this player's account (not_found says so), and when it is (two
// players sharing one Twilio account) recording refuses it.
func (s *Service) answerRepeat(ctx context.Context, res *Result) (bool, error) {
	sub := &res.Submission
	prev, err := s.cfg.Store.AwardedSubmission(ctx, res.Objective.ID, sub.SID)
	switch {
	case err == nil && prev.PlayerID == sub.PlayerID:
		// The award's attempt keeps what Twilio said; the repeat's row
		// does not copy it (a body may be 6 KB, and a player may click
		// HACK on a won SID as often as the per-address limit allows),
		// but the result shows it.
		sub.Reason = AlreadyAwarded
		if err := s.recordAttempt(ctx, res, nil, false); err != nil {
			return false, err
		}
		res.Submission.Message = prev.Message
		s.recorded(ctx, res, nil, "cached")
		return true, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return false, err
	}
	return false, nil
}

// reserve holds a place under the objective's attempt limit for the
// attempt in res. Without one left it answers res as attempts_exhausted
// and reports false.
func (s *Service) reserve(ctx context.Context, res *Result) (bool, error) {
	obj := &res.Objective
	r, retryAfter, err := s.cfg.Store.ReserveAttempt(ctx, res.Submission, AttemptLimit{Max: obj.MaxAttempts, Window: obj.Window})
	if err != nil {
		return false, err
	}
	res.Submission = r
	if r.Reason != AttemptsExhausted {
		return true, nil
	}
	res.Detail = DetailPermanent
	if obj.Window > 0 {
		res.Detail, res.RetryAfter = DetailWindow, retryAfter
	}
	s.logAttempt(ctx, res, "limit")
	return false, nil
}

// check asks Twilio (or the sandbox) whether the attempt's SID proves the
// objective, in the account acc, and records the verdict; reserved says
// the attempt holds a place under the objective's attempt limit.
func (s *Service) check(ctx context.Context, res *Result, a *Attempt, acc *attemptAccount, reserved bool) (*Result, error) {
	obj := &res.Objective
	player, err := s.player(ctx, a.PlayerID, obj)
	if err != nil {
		return nil, s.abandon(ctx, res, reserved, err)
	}

	v := s.cfg.Twilio
	if acc.sandboxed {
		v = s.cfg.SandboxVerifier
	}
	verdict, err := v.Verify(ctx, CheckRequest{Objective: obj, SID: a.sid, Credentials: acc.creds, Player: player})
	return s.judged(ctx, res, a, &verdict, err, reserved)
}

// judged records the verdict Twilio's answer (or its failure, err) came
// to. It is check's second half, a function of its own so that its
// values are not on the stack while the attempt waits for Twilio.
func (s *Service) judged(ctx context.Context, res *Result, a *Attempt, verdict *Verdict, err error, reserved bool) (*Result, error) {
	obj := &res.Objective
	sub := &res.Submission
	sub.Upstream = verdict.Upstream
	sub.Message = verdict.Message
	if verdict.SID != "" {
		sub.SID = verdict.SID
	}
	if verdict.Reason == NoCredentials && a.Game {
		verdict.Detail = DetailGame
	}
	res.Detail = verdict.Detail
	res.Tries = verdict.Attempts
	// The attempt is recorded even when the player has gone: their
	// cancelled request must not leave a reservation behind.
	ctx = context.WithoutCancel(ctx)
	sub.Detail = verdict.Detail
	if err != nil {
		var ue *UpstreamError
		if errors.As(err, &ue) {
			res.RetryAfter, res.TwilioRetryAfter = ue.RetryAfter, ue.TwilioRetryAfter
		}
		sub.Reason = ReasonOf(err)
		s.cfg.Log.WarnContext(ctx, "twilio could not answer", "objective", obj.ID, "sid", sub.SID,
			"reason", sub.Reason, "error", err)
		return s.finish(ctx, res, nil, reserved, "upstream")
	}
	if !verdict.Passed {
		sub.Reason = verdict.Reason
		return s.finish(ctx, res, nil, reserved, "verified")
	}
	xp, err := s.hintedXP(ctx, a.PlayerID, obj)
	if err != nil {
		return nil, s.abandon(ctx, res, reserved, err)
	}
	return s.finish(ctx, res, &Award{XP: xp, Items: obj.ItemIDs(),
		SharesProofWith: s.cfg.Catalog.ProofSharers(obj.ID)}, reserved, "verified")
}

// Missing returns the prerequisites of o that a player with awards has
// not completed: o is locked while there are any.
func (s *Service) Missing(o *catalog.Objective, awards map[string]Award) []catalog.Objective {
	return s.cfg.Catalog.Missing(o, holds(awards))
}

// Locked reports whether o is locked for a player holding awards: whether
// Missing would return any prerequisite, without building the list, for
// callers that only say locked or not (the API's progress, the widget).
func (s *Service) Locked(o *catalog.Objective, awards map[string]Award) bool {
	return s.cfg.Catalog.Locked(o, holds(awards))
}

// holds is the catalog's question "is this prerequisite done?" for a
// player holding awards.
func holds(awards map[string]Award) func(id string) bool {
	return func(id string) bool { _, ok := awards[id]; return ok }
}

// Open records that a player opened an objective (the first time only)
// and returns when they first did. Pages call it on every visit.
func (s *Service) Open(ctx context.Context, playerID, objectiveID string) (time.Time, error) {
	return s.cfg.Store.OpenObjective(ctx, playerID, objectiveID)
}

// player gathers what the objective's checks compare with: when the
// player first opened it (recording it now when they never did: a
// resource made before this attempt then does not count), and their
// registered numbers.
func (s *Service) player(ctx context.Context, playerID string, o *catalog.Objective) (*PlayerFacts, error) {
	p := &PlayerFacts{}
	var err error
	if o.Checks.CreatedAfterOpened {
		if p.OpenedAt, err = s.cfg.Store.OpenObjective(ctx, playerID, o.ID); err != nil {
			return nil, err
		}
	}
	if o.Checks.RegisteredNumber != "" {
		if p.Numbers, err = s.cfg.Store.PlayerNumbers(ctx, playerID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// finish records the attempt in res (completing its reservation when it
// holds one), and completes res.
func (s *Service) finish(ctx context.Context, res *Result, grant *Award, reserved bool, via string) (*Result, error) {
	if err := s.recordAttempt(ctx, res, grant, reserved); err != nil {
		return nil, err
	}
	s.recorded(ctx, res, grant, via)
	return res, nil
}

// abandon gives the reservation of the attempt in res back when the
// attempt fails before Twilio is asked (a storage error), and returns err.
func (s *Service) abandon(ctx context.Context, res *Result, reserved bool, err error) error {
	if reserved {
		sub := res.Submission
		sub.Reason = UpstreamUnavailable
		if _, ferr := s.cfg.Store.FinishAttempt(context.WithoutCancel(ctx), sub, nil); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

// recordAttempt stores the attempt in res and puts the saved submission
// in res: it completes the attempt's reservation when reserved, records it
// afresh otherwise, and makes the refund res carries, when it carries one,
// in the same transaction (marking res when the record took it).
func (s *Service) recordAttempt(ctx context.Context, res *Result, grant *Award, reserved bool) error {
	var saved Submission
	var err error
	refunding := res.refund.Key != ""
	switch {
	case reserved && refunding:
		saved, err = s.refunds.FinishAttemptRefunding(ctx, res.Submission, grant, res.refund)
	case reserved:
		saved, err = s.cfg.Store.FinishAttempt(ctx, res.Submission, grant)
	case refunding:
		saved, err = s.refunds.RecordAttemptRefunding(ctx, res.Submission, grant, res.refund)
	default:
		saved, err = s.cfg.Store.RecordAttempt(ctx, res.Submission, grant)
	}
	res.refundRecorded = refunding && err == nil
	if err != nil {
		return err
	}
	res.Submission = saved
	return nil
}

// recorded completes res, whose submission is saved, with what it
// granted, and tells the log, the metrics and the live views.
func (s *Service) recorded(ctx context.Context, res *Result, grant *Award, via string) {
	saved := &res.Submission
	if saved.Reason == SIDUsedForAnotherObjective {
		res.Detail = saved.Detail
	}
	if saved.Reason != RateLimited {
		res.Paste = saved.RawSID
	}
	if saved.Reason == Awarded && grant != nil {
		res.XP, res.Items = grant.XP, grant.Items
		if res.Awards != nil {
			awards := make(map[string]Award, len(res.Awards)+1)
			for id, a := range res.Awards {
				awards[id] = a
			}
			awards[saved.ObjectiveID] = Award{PlayerID: saved.PlayerID, ObjectiveID: saved.ObjectiveID, SID: saved.SID,
				XP: grant.XP, Items: grant.Items, SubmissionID: saved.ID, CreatedAt: saved.CreatedAt}
			res.Awards = awards
		}
	}
	s.logAttempt(ctx, res, via)
}

// logAttempt writes the one log line of a recorded attempt, counts it,
// and tells the live views about it. The line names the player by id and
// the account by kind only: never a secret.
func (s *Service) logAttempt(ctx context.Context, res *Result, via string) {
	sub := res.Submission
	var total time.Duration
	if start := submittedAt(ctx); !start.IsZero() {
		total = time.Since(start)
	}
	if s.cfg.Live != nil {
		s.cfg.Live.Publish(ctx, live.Event{Kind: live.Submission, SubmissionID: sub.ID, PlayerID: sub.PlayerID,
			ObjectiveID: sub.ObjectiveID, Reason: string(sub.Reason), At: sub.CreatedAt})
	}
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.Verification(string(sub.Reason), total, sub.Upstream)
	}
	s.cfg.Log.LogAttrs(ctx, slog.LevelInfo, "verification",
		slog.String("objective", sub.ObjectiveID), slog.String("player", sub.PlayerID),
		slog.String("sid", sub.SID), slog.String("outcome", sub.Reason.Outcome()),
		slog.String("reason", string(sub.Reason)), slog.String("detail", res.Detail), slog.String("via", via),
		slog.String("account_kind", res.Account.Kind),
		slog.Int64("total_ms", total.Milliseconds()), slog.Int64("upstream_ms", sub.Upstream.Milliseconds()),
		slog.Int("tries", res.Tries), slog.Int64("submission", sub.ID))
}

// attemptAccount is the account an attempt is checked in.
type attemptAccount struct {
	creds Credentials
	// sandboxed: the attempt goes to the sandbox.
	sandboxed bool
	// kind is one of Account….
	kind string
	// stored is what pages may show of the player's stored credentials,
	// nil when the attempt brought its own.
	stored *Stored
}

// attemptCredentials puts in acc the credentials given with the attempt,
// or else the player's (see credentials). It fills the caller's acc
// rather than return one: a HACK reads the database below this call, and
// a returned account was one more copy on its stack.
func (s *Service) attemptCredentials(ctx context.Context, a *Attempt, acc *attemptAccount) error {
	if a.Credentials == nil {
		return s.credentials(ctx, a.PlayerID, a.EnsureCredentials, acc)
	}
	sandboxed := false
	if s.cfg.Sandbox != nil && s.cfg.SandboxVerifier != nil {
		ok, err := s.cfg.Sandbox.IsAccount(ctx, a.Credentials.AccountSID)
		if err != nil {
			return err
		}
		sandboxed = ok
	}
	acc.creds, acc.sandboxed, acc.kind = *a.Credentials, sandboxed, AccountReal
	if sandboxed {
		acc.kind = AccountSandbox
	}
	return nil
}

// credentials puts in acc the credentials to verify a player's attempt
// with, whether they go to the sandbox, and their kind (Account…),
// reading them once. A player without stored credentials gets zero ones,
// of kind AccountNone: never another account's; with ensure, while the
// sandbox is on, they get a sandbox account of their own first
// (EnsureCredentials).
func (s *Service) credentials(ctx context.Context, playerID string, ensure bool, acc *attemptAccount) error {
	read := s.cfg.Store.Credentials
	if ensure {
		read = s.ensureStored
	}
	c, err := read(ctx, playerID)
	switch {
	case err == nil:
		acc.creds = Credentials{AccountSID: c.AccountSID, APIKeySID: c.APIKeySID, Secret: c.Secret}
		acc.sandboxed = c.Sandbox && s.cfg.SandboxVerifier != nil
		acc.kind = AccountReal
		if c.Sandbox {
			acc.kind = AccountSandbox
		}
		acc.stored = &Stored{Saved: savedOf(c), Found: true}
		return nil
	case !errors.Is(err, ErrNotFound):
		return err
	default:
		acc.kind, acc.stored = AccountNone, &Stored{}
		return nil
	}
}
