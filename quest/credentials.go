package quest

import (
	"context"
	"errors"
	"fmt"

	"github.com/questgate/questgate/store"
	"github.com/questgate/questgate/verifier"
)

// ErrNoSandbox is returned when sandbox accounts are asked for while the
// sandbox is off.
var ErrNoSandbox = errors.New("the sandbox is not enabled on this server")

// SaveCredentials checks a player's Twilio credentials with one cheap call
// and stores them when they work. Errors are *verifier.CredentialsError for
// what the player must fix, *verifier.UpstreamError when Twilio could not
// answer, or a storage failure. Nothing is stored unless the check passes.
func (s *Service) SaveCredentials(ctx context.Context, playerID, accountSID, apiKeySID, secret string) (store.Credentials, error) {
	c, err := verifier.ParseCredentials(accountSID, apiKeySID, secret)
	if err != nil {
		return store.Credentials{}, err
	}
	sandboxed := false
	if s.cfg.Sandbox != nil {
		if sandboxed, err = s.cfg.Sandbox.IsAccount(ctx, c.AccountSID); err != nil {
			return store.Credentials{}, err
		}
	}
	v := s.cfg.Twilio
	if sandboxed {
		v = s.cfg.SandboxVerifier
	}
	if err := v.CheckCredentials(ctx, c); err != nil {
		return store.Credentials{}, err
	}
	saved := store.Credentials{PlayerID: playerID, AccountSID: c.AccountSID, APIKeySID: c.APIKeySID, Secret: c.Secret, Sandbox: sandboxed}
	if err := s.cfg.Store.SaveCredentials(ctx, saved); err != nil {
		return store.Credentials{}, err
	}
	return saved, nil
}

// UseSandboxAccount gives a player a fresh sandbox account of their own and
// stores it as their credentials.
func (s *Service) UseSandboxAccount(ctx context.Context, playerID string) (store.Credentials, error) {
	if s.cfg.Sandbox == nil {
		return store.Credentials{}, ErrNoSandbox
	}
	sid, token, err := s.cfg.Sandbox.CreateAccount(ctx, "questgate player "+playerID)
	if err != nil {
		return store.Credentials{}, fmt.Errorf("create sandbox account: %w", err)
	}
	c := store.Credentials{PlayerID: playerID, AccountSID: sid, Secret: token, Sandbox: true}
	if err := s.cfg.Store.SaveCredentials(ctx, c); err != nil {
		return store.Credentials{}, err
	}
	return c, nil
}

// SandboxEnabled reports whether players can get sandbox accounts.
func (s *Service) SandboxEnabled() bool { return s.cfg.Sandbox != nil }

// Demo returns the demo sandbox account's credentials, if the server has one.
func (s *Service) Demo() (verifier.Credentials, bool) {
	if s.cfg.Demo == nil {
		return verifier.Credentials{}, false
	}
	return *s.cfg.Demo, true
}
