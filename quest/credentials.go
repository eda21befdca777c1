package quest

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Saved is what pages may show of a player's stored credentials. A real
// account's secret never leaves quest: only its last four characters, so a
// player can tell which one is saved. A sandbox account's token is given
// whole, since it guards nothing real and the code examples need it: pages
// show it to its own player only, masked until they ask.
type Saved struct {
	AccountSID string
	APIKeySID  string
	// Last4 is the end of the secret, "" when it is too short to show any.
	Last4 string
	// Sandbox marks a sandbox account; SandboxSecret is then its token.
	Sandbox       bool
	SandboxSecret string
	UpdatedAt     time.Time
}

// Stored is what an attempt read of a player's stored credentials, for
// the page that shows its result: Saved when Found, nothing otherwise.
type Stored struct {
	Saved Saved
	Found bool
}

// savedOf masks stored credentials for pages.
func savedOf(c Credentials) Saved {
	s := Saved{AccountSID: c.AccountSID, APIKeySID: c.APIKeySID, Last4: last4(c.Secret), Sandbox: c.Sandbox, UpdatedAt: c.UpdatedAt}
	if c.Sandbox {
		s.SandboxSecret = c.Secret
	}
	return s
}

// SavedCredentials returns what pages may show of a player's credentials,
// or ErrNotFound when they have none.
func (s *Service) SavedCredentials(ctx context.Context, playerID string) (Saved, error) {
	c, err := s.cfg.Store.Credentials(ctx, playerID)
	if err != nil {
		return Saved{}, err
	}
	return savedOf(c), nil
}

// last4 returns the last four characters of a secret, the only part of a
// real account's secret anything shows. A secret this short shows
// nothing: four characters of five would reveal almost all of it.
//
// It walks the string rather than convert it to runes, whose buffer
// would sit on the stack of every HACK waiting for Twilio.
func last4(secret string) string {
	if utf8.RuneCountInString(secret) <= 4 {
		return ""
	}
	i := len(secret)
	for range 4 {
		_, size := utf8.DecodeLastRuneInString(secret[:i])
		i -= size
	}
	return secret[i:]
}

// ErrNoSandbox is returned when sandbox accounts are asked for while the
// sandbox is off.
var ErrNoSandbox = errors.New("the sandbox is not enabled on this server")

// SaveCredentials checks a player's Twilio credentials with one cheap call
// and stores them when they work. Errors are *CredentialsError for
// what the player must fix, *UpstreamError when Twilio could not
// answer, or a storage failure. Nothing is stored unless the check passes.
func (s *Service) SaveCredentials(ctx context.Context, playerID, accountSID, apiKeySID, secret string) (Saved, error) {
	c, err := ParseCredentials(accountSID, apiKeySID, secret)
	if err != nil {
		return Saved{}, err
	}
	sandboxed, err := s.CheckCredentials(ctx, c)
	if err != nil {
		return Saved{}, err
	}
	saved := Credentials{PlayerID: playerID, AccountSID: c.AccountSID, APIKeySID: c.APIKeySID, Secret: c.Secret, Sandbox: sandboxed}
	if err := s.cfg.Store.SaveCredentials(ctx, saved); err != nil {
		return Saved{}, err
	}
	return savedOf(saved), nil
}

// CheckCredentials asks the account's upstream (the sandbox for a sandbox
// account, Twilio otherwise) whether c opens it, with one cheap call, and
// reports whether the account is the sandbox's. Errors are as
// SaveCredentials's.
func (s *Service) CheckCredentials(ctx context.Context, c Credentials) (sandboxed bool, err error) {
	if s.cfg.Sandbox != nil {
		if sandboxed, err = s.cfg.Sandbox.IsAccount(ctx, c.AccountSID); err != nil {
			return false, err
		}
	}
	v := s.cfg.Twilio
	if sandboxed {
		v = s.cfg.SandboxVerifier
	}
	return sandboxed, v.CheckCredentials(ctx, c)
}

// EnsureCredentials returns what pages may show of a player's
// credentials. A player who has none gets, while the sandbox is on, a
// sandbox account of their own first, stored as their credentials: the
// player pages call it when a player opens an objective or HACKs, so that
// the code examples work for them, and for them alone. Without the sandbox
// a player without credentials gets ErrNotFound.
//
// When two requests of one player race, one account is kept: the other
// request's is left unused in the sandbox.
func (s *Service) EnsureCredentials(ctx context.Context, playerID string) (Saved, error) {
	c, err := s.ensureStored(ctx, playerID)
	if err != nil {
		return Saved{}, err
	}
	return savedOf(c), nil
}

// ensureStored is EnsureCredentials returning the credentials themselves,
// for an attempt to be checked with.
func (s *Service) ensureStored(ctx context.Context, playerID string) (Credentials, error) {
	c, err := s.cfg.Store.Credentials(ctx, playerID)
	if err == nil || !errors.Is(err, ErrNotFound) || s.cfg.Sandbox == nil {
		return c, err
	}
	sid, token, err := s.cfg.Sandbox.CreateAccount(ctx, "questgate player "+playerID)
	if err != nil {
		return Credentials{}, fmt.Errorf("create sandbox account: %w", err)
	}
	c = Credentials{PlayerID: playerID, AccountSID: sid, Secret: token, Sandbox: true}
	created, err := s.cfg.Store.SaveCredentialsIfNone(ctx, c)
	if err != nil {
		return Credentials{}, err
	}
	if !created {
		return s.cfg.Store.Credentials(ctx, playerID)
	}
	s.cfg.Log.InfoContext(ctx, "sandbox account made for a player", "player", playerID, "account_sid", sid)
	return c, nil
}

// UseSandboxAccount gives a player a fresh sandbox account of their own and
// stores it as their credentials.
func (s *Service) UseSandboxAccount(ctx context.Context, playerID string) (Saved, error) {
	if s.cfg.Sandbox == nil {
		return Saved{}, ErrNoSandbox
	}
	sid, token, err := s.cfg.Sandbox.CreateAccount(ctx, "questgate player "+playerID)
	if err != nil {
		return Saved{}, fmt.Errorf("create sandbox account: %w", err)
	}
	c := Credentials{PlayerID: playerID, AccountSID: sid, Secret: token, Sandbox: true}
	if err := s.cfg.Store.SaveCredentials(ctx, c); err != nil {
		return Saved{}, err
	}
	return savedOf(c), nil
}

// SandboxEnabled reports whether players can get sandbox accounts.
func (s *Service) SandboxEnabled() bool { return s.cfg.Sandbox != nil }
