package apikey

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The widget's token errors, each with its own page.
var (
	// ErrTokenExpired: a good token whose time is up; the game must sign
	// a fresh one.
	ErrTokenExpired = errors.New("embed token expired")
	// ErrTokenInvalid: not a token, a bad signature, a wrong algorithm, no
	// expiry, or an expiry too far ahead.
	ErrTokenInvalid = errors.New("embed token invalid")
	// ErrTokenUnknownKey: the kid names no working key (unknown or revoked).
	ErrTokenUnknownKey = errors.New("embed token names no working key")
)

// MaxTokenLifetime is the longest a widget token may live: tokens are
// bearer credentials for one player, so games sign short-lived ones.
const MaxTokenLifetime = 24 * time.Hour

// Claims are what a game's server says about its player when it signs a
// widget token (JWT HS256, header kid = the key's id).
type Claims struct {
	// Subject (sub) is the player's id in the game.
	Name string `json:"name,omitempty"`
	// Locale is the widget's language, "en" or "fr".
	Locale string `json:"locale,omitempty"`
	// Origin, optional, is the game page's origin, where the widget posts
	// its completion message; it must be one of the key's origins.
	Origin string `json:"origin,omitempty"`
	jwt.RegisteredClaims
}

// SignToken signs claims with a key's signing secret, as a game's server
// does (with any JWT library).
func SignToken(keyID, signingSecret string, c Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = keyID
	return t.SignedString([]byte(signingSecret))
}

// ParseToken checks a widget token: HS256 only, signed with the secret of
// the key its kid names (secretOf returns it, or an error for a key that
// does not work), unexpired, with a subject, living at most
// MaxTokenLifetime. It returns the claims and the key id.
func ParseToken(token string, secretOf func(kid string) (string, error), now time.Time) (Claims, string, error) {
	var c Claims
	var kid string
	unknown := false
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ = t.Header["kid"].(string)
		secret, err := secretOf(kid)
		if err != nil {
			unknown = true
			return nil, err
		}
		return []byte(secret), nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(30*time.Second), jwt.WithTimeFunc(func() time.Time { return now }))
	switch {
	case unknown:
		return Claims{}, kid, fmt.Errorf("%w: %q", ErrTokenUnknownKey, kid)
	case errors.Is(err, jwt.ErrTokenExpired):
		// The signature was checked before the expiry: the claims are the
		// game's, and name the language of the error page.
		return c, kid, ErrTokenExpired
	case err != nil:
		return Claims{}, kid, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	case c.Subject == "" || len(c.Subject) > 200:
		return Claims{}, kid, fmt.Errorf("%w: no subject", ErrTokenInvalid)
	case c.ExpiresAt.Sub(now) > MaxTokenLifetime:
		return Claims{}, kid, fmt.Errorf("%w: expires more than %v ahead", ErrTokenInvalid, MaxTokenLifetime)
	}
	return c, kid, nil
}
