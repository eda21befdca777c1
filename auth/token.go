package auth

import (
	"errors"
	"fmt"
	"strings"
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

// TokenLeeway is how far the clocks of the game's server and questgate
// may disagree about a token's expiry: a few seconds, so an expired
// token stops working when it says it does (30 s let a stolen one live on).
const TokenLeeway = 5 * time.Second

// Claims are what a game's server says about its player when it signs a
// widget token (JWT HS256, header kid = the key's id). Of the registered
// claims, sub (the player), exp, aud (the questgate server's public URL,
// so a token made for one server does not open another's widget) and iss
// (the key's id, the same as kid) are required.
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
// does (with any JWT library). An empty issuer is set to keyID; the
// audience is the caller's to set.
func SignToken(keyID, signingSecret string, c Claims) (string, error) {
	if c.Issuer == "" {
		c.Issuer = keyID
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = keyID
	return t.SignedString([]byte(signingSecret))
}

// ParseToken checks a widget token: HS256 only, signed with the secret of
// the key its kid names (secretOf returns it, or an error for a key that
// does not work), issued by that key (iss = kid), for audience (the
// server's public URL; a trailing slash on either side is ignored),
// unexpired within TokenLeeway, with a subject, living at most
// MaxTokenLifetime. It returns the claims and the key id.
func ParseToken(token string, secretOf func(kid string) (string, error), audience string, now time.Time) (Claims, string, error) {
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
		jwt.WithLeeway(TokenLeeway), jwt.WithTimeFunc(func() time.Time { return now }))
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
	case c.Issuer != kid:
		return Claims{}, kid, fmt.Errorf("%w: issuer %q is not the key %q", ErrTokenInvalid, c.Issuer, kid)
	case !forAudience(c.Audience, audience):
		return Claims{}, kid, fmt.Errorf("%w: audience %q does not name this server (%s)", ErrTokenInvalid, []string(c.Audience), audience)
	}
	return c, kid, nil
}

// forAudience reports whether aud names want, a trailing slash aside. An
// empty want matches nothing: a server must say who it is.
func forAudience(aud jwt.ClaimStrings, want string) bool {
	want = strings.TrimSuffix(want, "/")
	if want == "" {
		return false
	}
	for _, a := range aud {
		if strings.TrimSuffix(a, "/") == want {
			return true
		}
	}
	return false
}
