package quest

// Players who play from inside a game that hands every player the same
// extension (TwilioQuest): such an extension can carry no key telling
// players apart, so a player is known by their Twilio account, and proves
// it with the credentials the game already holds. GamePlayers checks those
// credentials with Twilio once, remembers a one-way proof of them, and
// attaches the player to the cohort the extension names.

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// GameAccount is a Twilio account seen through a game, and the player it
// is.
type GameAccount struct {
	AccountSID string
	PlayerID   string
	// Proof is ProofOf the credentials Twilio last accepted for the
	// account: never the secret itself.
	Proof string
	// CheckedAt is when Twilio last accepted them.
	CheckedAt time.Time
	// New is true when SaveGameAccount created the player.
	New bool
}

// GameAccountStore keeps game accounts.
type GameAccountStore interface {
	// GameAccount returns the account, or ErrNotFound.
	GameAccount(ctx context.Context, accountSID string) (GameAccount, error)
	// SaveGameAccount records a's proof, creating the account's player on
	// first sight, and puts the player in cohortID (ErrNotFound,
	// ErrArchived: nothing changes), setting their display name unless
	// name is empty; all in one transaction. It returns the account
	// with its player.
	SaveGameAccount(ctx context.Context, a GameAccount, cohortID int64, name string) (GameAccount, error)
}

// CredentialChecker asks Twilio (or the sandbox) whether credentials open
// their account; *Service implements it.
type CredentialChecker interface {
	CheckCredentials(ctx context.Context, c Credentials) (sandboxed bool, err error)
}

// GamePlayersConfig wires GamePlayers.
type GamePlayersConfig struct {
	Store   GameAccountStore
	Cohorts *Players
	Check   CredentialChecker
	// Accounts, when set, bounds the sign-ins of one Twilio account
	// (every attempt a game sends is one), so that a script knowing an
	// Account SID, which is no secret, cannot make Twilio check
	// credentials for it without end. Keys are Account SIDs.
	Accounts Limiter
	// Addresses, when set, bounds the sign-ins from one client address
	// that must ask Twilio (credentials not seen before): generous, since
	// a classroom shares one address. Keys are what GameSignIn.Address
	// holds.
	Addresses Limiter
}

// GamePlayers signs in the players of a game. It is safe for concurrent use.
type GamePlayers struct{ cfg GamePlayersConfig }

// NewGamePlayers returns GamePlayers.
func NewGamePlayers(cfg GamePlayersConfig) *GamePlayers { return &GamePlayers{cfg: cfg} }

// Default budgets of GamePlayersConfig's limiters, per minute.
const (
	// GameSignInsPerAccount lets a player click HACK every two seconds.
	GameSignInsPerAccount = 30
	// GameChecksPerAddress lets a room of 120 players behind one address
	// all start within a minute.
	GameChecksPerAddress = 120
)

// GameLimitError refuses a sign-in over one of GamePlayersConfig's
// budgets.
type GameLimitError struct {
	// By is "account" or "address".
	By         string
	RetryAfter time.Duration
}

func (e *GameLimitError) Error() string {
	return fmt.Sprintf("too many game sign-ins for this %s: retry in %v", e.By, e.RetryAfter)
}

// take spends one event of key's budget in l (nil: no budget). A limiter
// that fails lets the sign-in through.
func take(ctx context.Context, l Limiter, by, key string) error {
	if l == nil {
		return nil
	}
	ok, wait, err := l.Take(ctx, key)
	if err != nil || ok {
		return nil
	}
	return &GameLimitError{By: by, RetryAfter: wait}
}

// GameSignIn is what a game sends with every attempt.
type GameSignIn struct {
	// JoinCode names the cohort the extension was exported for.
	JoinCode string
	// Credentials are the player's own, as the game holds them.
	Credentials Credentials
	// Name is the display name the player typed, "" when the game did
	// not ask (the player keeps theirs).
	Name string
	// Address is the client's address, as a rate limit key.
	Address string
}

// GamePlayer is who a GameSignIn proved to be.
type GamePlayer struct {
	PlayerID string
	Cohort   Cohort
	// Credentials are the sign-in's, cleaned, for the attempt to use.
	Credentials Credentials
	// Checked is true when Twilio was asked this time (a first sign-in,
	// or credentials other than the remembered ones).
	Checked bool
	// New is true on the player's first sign-in.
	New bool
}

// ProofOf is the one-way proof of credentials a GameAccount keeps: a
// SHA-256 of them, from which the secret cannot be recovered (a Twilio
// secret has at least 128 random bits), but which tells the same
// credentials again without asking Twilio.
func ProofOf(c Credentials) string {
	sum := sha256.Sum256([]byte("questgate game account\x00" + c.AccountSID + "\x00" + c.APIKeySID + "\x00" + c.Secret))
	return hex.EncodeToString(sum[:])
}

// DefaultGameName is the display name of a game's player who typed none:
// the end of their Account SID, which their instructor can ask them about.
func DefaultGameName(accountSID string) string {
	return "Player …" + accountSID[max(0, len(accountSID)-4):]
}

// SignIn identifies a game's player by their Twilio account and attaches
// them to the cohort of in.JoinCode. Credentials are checked with Twilio
// the first time they are seen for the account, and remembered (as a
// proof) after: an Account SID alone, which is no secret, never signs
// anyone in. Errors: ErrUnknownCohort, ErrArchivedCohort, a *NameError, a
// *CredentialsError (wrong shape, or refused by Twilio), an
// *UpstreamError (Twilio could not answer), a *GameLimitError; nothing is
// recorded then.
func (g *GamePlayers) SignIn(ctx context.Context, in GameSignIn) (GamePlayer, error) {
	cohort, err := g.cfg.Cohorts.CohortByCode(ctx, in.JoinCode)
	if err != nil {
		return GamePlayer{}, err
	}
	name := ""
	if strings.TrimSpace(in.Name) != "" {
		if name, err = ParseDisplayName(in.Name); err != nil {
			return GamePlayer{}, err
		}
	}
	c := in.Credentials.Normalized()
	c.PlayerID, c.Sandbox, c.UpdatedAt = "", false, time.Time{}
	if err := c.Check(); err != nil {
		return GamePlayer{}, err
	}
	if err := take(ctx, g.cfg.Accounts, "account", c.AccountSID); err != nil {
		return GamePlayer{}, err
	}
	proof := ProofOf(c)
	acc, err := g.cfg.Store.GameAccount(ctx, c.AccountSID)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return GamePlayer{}, err
	}
	checked := false
	if !found || subtle.ConstantTimeCompare([]byte(acc.Proof), []byte(proof)) != 1 {
		if err := take(ctx, g.cfg.Addresses, "address", in.Address); err != nil {
			return GamePlayer{}, err
		}
		if _, err := g.cfg.Check.CheckCredentials(ctx, c); err != nil {
			return GamePlayer{}, err
		}
		checked = true
	}
	if !found && name == "" {
		name = DefaultGameName(c.AccountSID)
	}
	saved, err := g.cfg.Store.SaveGameAccount(ctx, GameAccount{AccountSID: c.AccountSID, Proof: proof}, cohort.ID, name)
	switch {
	case errors.Is(err, ErrArchived):
		return GamePlayer{}, ErrArchivedCohort
	case errors.Is(err, ErrNotFound):
		return GamePlayer{}, ErrUnknownCohort
	case err != nil:
		return GamePlayer{}, err
	}
	return GamePlayer{PlayerID: saved.PlayerID, Cohort: cohort, Credentials: c, Checked: checked, New: saved.New}, nil
}
