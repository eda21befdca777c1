package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/questgate/questgate/quest"
	"github.com/questgate/questgate/store"
)

// Store is what the sandbox needs to keep its accounts, keys and
// messages. *store.Store implements it; declaring it here keeps the
// sandbox testable and free of SQL. Lookups of missing rows return
// quest.ErrNotFound.
type Store interface {
	CreateSandboxAccount(ctx context.Context, a store.SandboxAccount) (store.SandboxAccount, error)
	SandboxAccount(ctx context.Context, sid string) (store.SandboxAccount, error)
	CreateSandboxKey(ctx context.Context, k store.SandboxKey) (store.SandboxKey, error)
	SandboxKey(ctx context.Context, sid string) (store.SandboxKey, error)
	CreateSandboxMessage(ctx context.Context, m store.SandboxMessage) (store.SandboxMessage, error)
	SandboxMessage(ctx context.Context, accountSID, sid string) (store.SandboxMessage, error)
	SandboxMessages(ctx context.Context, f store.SandboxMessageFilter) ([]store.SandboxMessage, error)
	SandboxMedia(ctx context.Context, accountSID, messageSID string) ([]store.SandboxMedia, error)
	CreateSandboxCall(ctx context.Context, c store.SandboxCall) (store.SandboxCall, error)
	SandboxCall(ctx context.Context, accountSID, sid string) (store.SandboxCall, error)
	SandboxCalls(ctx context.Context, f store.SandboxMessageFilter) ([]store.SandboxCall, error)
	TakeSandboxQuota(ctx context.Context, accountSID string, use, quota store.SandboxUse) error
	CreateSandboxResource(ctx context.Context, r store.SandboxResource) (store.SandboxResource, error)
	SandboxResource(ctx context.Context, accountSID, kind, sid string) (store.SandboxResource, error)
	SandboxResources(ctx context.Context, f store.SandboxResourceFilter) ([]store.SandboxResource, error)
	UpdateSandboxResource(ctx context.Context, r store.SandboxResource) (store.SandboxResource, error)
	DeleteSandboxResource(ctx context.Context, accountSID, kind, sid string) error
}

// Options tune a Sandbox. The zero value is ready for production use.
type Options struct {
	// Now is the clock that stamps new resources and ages messages;
	// tests pass a fake one to walk a message through its statuses.
	// Default time.Now.
	Now func() time.Time
	// Step is how long a message stays in each intermediate status
	// (queued, then sent), so that players can watch it move as on
	// Twilio. Default 1s.
	Step time.Duration
	// Latency delays every API answer (errors included) by this long, as
	// the distance to Twilio does: a workshop rehearses on a laptop with
	// the waits players will see, and a load benchmark measures what
	// questgate adds on top of a realistic upstream. A request whose
	// context ends while it waits is dropped undone. Default 0: no delay.
	Latency time.Duration
	// Requests is the budget of requests per client address over the
	// whole API (serve --sandbox passes the pages' own, so an address has
	// one budget). Refusals are Twilio's 429, code 20429, with
	// Retry-After. Default nil: no limit. The in-process transport
	// (InProcess), questgate's own checks, is never limited.
	Requests Limiter
	// Writes is the budget of requests that store something (a message,
	// a call, an inbound text, a key) per client address: the requests
	// that grow the database most (a message may carry 6 KB of text and
	// 10 KB of media URLs), so a budget apart from Requests bounds what
	// one address adds a minute. Refusals are Twilio's 429, code 20429,
	// with Retry-After. Default nil: no limit.
	Writes Limiter
	// NewAccounts is the budget of accounts each client address may
	// create through POST /accounts (CreateAccount, which the CLI and
	// questgate itself call, is not limited). Default nil: no limit.
	NewAccounts Limiter
	// Quota bounds what one account may hold; see Quota for its zero
	// value's defaults.
	Quota Quota
}

// Sandbox is the Twilio-compatible sandbox. It is safe for concurrent use.
type Sandbox struct {
	st          Store
	now         func() time.Time
	step        time.Duration
	latency     time.Duration
	requests    Limiter
	newAccounts Limiter
	writes      Limiter
	quota       store.SandboxUse
}

// New returns a sandbox keeping its state in st.
func New(st Store, opts Options) *Sandbox {
	s := &Sandbox{st: st, now: opts.Now, step: opts.Step, latency: max(opts.Latency, 0),
		requests: opts.Requests, newAccounts: opts.NewAccounts, writes: opts.Writes, quota: opts.Quota.withDefaults()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.step <= 0 {
		s.step = time.Second
	}
	return s
}

// Account is a new sandbox account's credentials, which the caller shows
// the player once (CLI output, the "use a sandbox account" button).
type Account struct {
	SID          string
	AuthToken    string
	FriendlyName string
	CreatedAt    time.Time
}

// ErrInvalidFriendlyName is returned (wrapped) for a friendly name longer
// than Twilio's limit of 64 characters, so a caller can tell the user
// rather than fail.
var ErrInvalidFriendlyName = errors.New("friendly name is longer than 64 characters")

const maxFriendlyName = 64

// CreateAccount creates a sandbox account with a fresh SID and Auth
// Token. An empty friendlyName gets a dated default, as Twilio names new
// subaccounts.
func (s *Sandbox) CreateAccount(ctx context.Context, friendlyName string) (Account, error) {
	now := s.now().UTC()
	name, err := cleanFriendlyName(friendlyName)
	if err != nil {
		return Account{}, err
	}
	if name == "" {
		name = "Sandbox account created at " + now.Format("2006-01-02 15:04 UTC")
	}
	a, err := s.st.CreateSandboxAccount(ctx, store.SandboxAccount{
		SID: newSID("AC"), AuthToken: newSecret(), FriendlyName: name, CreatedAt: now,
	})
	if err != nil {
		return Account{}, fmt.Errorf("create sandbox account: %w", err)
	}
	return Account{SID: a.SID, AuthToken: a.AuthToken, FriendlyName: a.FriendlyName, CreatedAt: a.CreatedAt}, nil
}

// IsAccount reports whether sid is a sandbox account, so that questgate
// sends a player's checks to the sandbox instead of to Twilio. A SID that
// is not even shaped like an Account SID is simply not one.
func (s *Sandbox) IsAccount(ctx context.Context, sid string) (bool, error) {
	if !accountSIDPattern.MatchString(sid) {
		return false, nil
	}
	_, err := s.st.SandboxAccount(ctx, sid)
	switch {
	case errors.Is(err, quest.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up sandbox account: %w", err)
	}
	return true, nil
}

func cleanFriendlyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxFriendlyName {
		return "", ErrInvalidFriendlyName
	}
	return name, nil
}

var (
	accountSIDPattern   = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	keySIDPattern       = regexp.MustCompile(`^SK[0-9a-f]{32}$`)
	messageSIDPattern   = regexp.MustCompile(`^(SM|MM)[0-9a-f]{32}$`)
	serviceSIDPattern   = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	numberSIDPattern    = regexp.MustCompile(`^PN[0-9a-f]{32}$`)
	verifySIDPattern    = regexp.MustCompile(`^VA[0-9a-f]{32}$`)
	verificationPattern = regexp.MustCompile(`^VE[0-9a-f]{32}$`)
	phoneNumberPattern  = regexp.MustCompile(`^\+[0-9]{8,15}$`)
	shortCodePattern    = regexp.MustCompile(`^[0-9]{5,6}$`)
	alphaSenderPattern  = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	alphaSenderHasAlpha = regexp.MustCompile(`[A-Za-z]`)
)

// newSID returns prefix followed by 32 random lowercase hex digits, the
// shape of every Twilio SID.
func newSID(prefix string) string { return prefix + newSecret() }

// newSecret returns 128 random bits as 32 lowercase hex digits, the shape
// of Twilio Auth Tokens (and alphanumeric, as twilio-go requires).
func newSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand aborts the program instead
	return hex.EncodeToString(b[:])
}
