package quest

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Player is one person playing, known by an unguessable id.
type Player struct {
	ID          string
	DisplayName string
	// CohortID is the cohort the player joined, 0 when none.
	CohortID  int64
	CreatedAt time.Time
	// Version moves on whenever anything an attempt reads of the player
	// before its work changes (their awards, credentials, cohort, or
	// their cohort's event window), whoever changes it: the database's
	// triggers keep it. Read with the player, it lets a store answer
	// those reads from memory until it moves (see WithPlayerRead).
	Version int64
}

// playerReadKey carries the player a request read, with their Version.
type playerReadKey struct{}

// WithPlayerRead returns ctx saying that its request read p, at
// p.Version: a store may then answer the request's reads of p's awards,
// credentials and event window from what it kept of them at that
// version, instead of asking the database again. The session's read of
// the player, which every player request makes anyway, is then the one
// read their HACK needs before its work. A request that read no player
// reads everything afresh.
func WithPlayerRead(ctx context.Context, p Player) context.Context {
	if p.ID == "" {
		return ctx
	}
	return context.WithValue(ctx, playerReadKey{}, playerRead{id: p.ID, version: p.Version})
}

// playerRead is what WithPlayerRead keeps: not the whole Player, which
// the request keeps elsewhere.
type playerRead struct {
	id      string
	version int64
}

// forgetPlayerRead returns ctx without the player its request read: the
// store then reads them afresh.
func forgetPlayerRead(ctx context.Context) context.Context {
	if _, ok := ctx.Value(playerReadKey{}).(playerRead); !ok {
		return ctx
	}
	return context.WithValue(ctx, playerReadKey{}, nil)
}

// PlayerRead returns the player ctx's request read, by id, and the
// version it read them at (see WithPlayerRead); false when it read none.
func PlayerRead(ctx context.Context) (id string, version int64, ok bool) {
	r, ok := ctx.Value(playerReadKey{}).(playerRead)
	return r.id, r.version, ok
}

// Credentials open a player's Twilio account: either the account's own
// Auth Token (APIKeySID empty) or an API key and its secret acting on
// behalf of AccountSID. They are one type from the form to the database
// to the verifier, so that masking is written once: Secret is in clear in
// memory only (the database holds it sealed), and String, GoString and
// LogValue mask it, so printing or logging Credentials shows no secret.
type Credentials struct {
	// PlayerID is whose they are; empty for credentials that belong to
	// no player (questgate verify, a game's per-call credentials).
	PlayerID   string
	AccountSID string
	APIKeySID  string
	Secret     string
	// Sandbox marks credentials of a sandbox account.
	Sandbox   bool
	UpdatedAt time.Time
}

// Username is what goes into HTTP Basic auth: the API key when there is one.
func (c Credentials) Username() string {
	if c.APIKeySID != "" {
		return c.APIKeySID
	}
	return c.AccountSID
}

// IsZero reports whether no credentials were given.
func (c Credentials) IsZero() bool { return c.AccountSID == "" && c.Secret == "" }

// String masks the secret so credentials can never leak through %v.
func (c Credentials) String() string {
	return fmt.Sprintf("{%s %s %s **** sandbox=%t}", c.PlayerID, c.AccountSID, c.APIKeySID, c.Sandbox)
}

// GoString masks the secret for %#v too.
func (c Credentials) GoString() string { return "quest.Credentials" + c.String() }

// LogValue masks the secret in structured logs: slog's handlers (the JSON
// one included) would otherwise print every field.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("player", c.PlayerID), slog.String("account_sid", c.AccountSID),
		slog.String("api_key_sid", c.APIKeySID), slog.Bool("sandbox", c.Sandbox))
}
