package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/questgate/questgate/auth"
)

func TestParseToken(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a, b := auth.GenerateKey(), auth.GenerateKey()
	secrets := map[string]string{a.ID: a.SigningSecret, b.ID: b.SigningSecret}
	secretOf := func(kid string) (string, error) {
		if s, ok := secrets[kid]; ok {
			return s, nil
		}
		return "", errors.New("no such key")
	}
	const server = "https://quest.example"
	claims := func(exp time.Duration) auth.Claims {
		return auth.Claims{Name: "Ada", Locale: "fr", RegisteredClaims: jwt.RegisteredClaims{Subject: "p42",
			ExpiresAt: jwt.NewNumericDate(now.Add(exp)), Audience: jwt.ClaimStrings{server}}}
	}
	with := func(c auth.Claims, change func(*auth.Claims)) auth.Claims { change(&c); return c }
	sign := func(kid, secret string, c auth.Claims) string {
		s, err := auth.SignToken(kid, secret, c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims(time.Hour))
	none.Header["kid"] = a.ID
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"good", sign(a.ID, a.SigningSecret, claims(time.Hour)), nil},
		{"expired", sign(a.ID, a.SigningSecret, claims(-time.Hour)), auth.ErrTokenExpired},
		{"wrong signature", sign(a.ID, "not the secret", claims(time.Hour)), auth.ErrTokenInvalid},
		{"wrong key: signed with b's secret, claiming a", sign(a.ID, b.SigningSecret, claims(time.Hour)), auth.ErrTokenInvalid},
		{"unknown key", sign("key_nope", a.SigningSecret, claims(time.Hour)), auth.ErrTokenUnknownKey},
		{"alg none", unsigned, auth.ErrTokenInvalid},
		{"no expiry", sign(a.ID, a.SigningSecret, auth.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "p42", Audience: jwt.ClaimStrings{server}}}), auth.ErrTokenInvalid},
		{"expired 6 s ago: beyond the leeway", sign(a.ID, a.SigningSecret, claims(-6*time.Second)), auth.ErrTokenExpired},
		{"expired 4 s ago: within the leeway", sign(a.ID, a.SigningSecret, claims(-4*time.Second)), nil},
		{"no audience", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *auth.Claims) { c.Audience = nil })), auth.ErrTokenInvalid},
		{"another server's audience", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *auth.Claims) {
			c.Audience = jwt.ClaimStrings{"https://other.example"}
		})), auth.ErrTokenInvalid},
		{"the audience with a trailing slash, among others", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *auth.Claims) {
			c.Audience = jwt.ClaimStrings{"https://other.example", server + "/"}
		})), nil},
		{"issued by another key", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *auth.Claims) { c.Issuer = b.ID })), auth.ErrTokenInvalid},
		{"lives too long", sign(a.ID, a.SigningSecret, claims(48*time.Hour)), auth.ErrTokenInvalid},
		{"no subject", sign(a.ID, a.SigningSecret, auth.Claims{RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}), auth.ErrTokenInvalid},
		{"garbage", "hello", auth.ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, kid, err := auth.ParseToken(tt.token, secretOf, server, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if tt.want == nil && (c.Subject != "p42" || c.Locale != "fr" || kid != a.ID) {
				t.Errorf("claims %+v kid %q", c, kid)
			}
		})
	}
}

// TestParseTokenNeedsAnIssuer: a token without iss is refused, whatever
// else it says (SignToken fills it in; other libraries may not).
func TestParseTokenNeedsAnIssuer(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	k := auth.GenerateKey()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "p42", "aud": "https://quest.example", "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString([]byte(k.SigningSecret))
	if err != nil {
		t.Fatal(err)
	}
	secretOf := func(string) (string, error) { return k.SigningSecret, nil }
	if _, _, err := auth.ParseToken(s, secretOf, "https://quest.example", now); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("no issuer: %v, want ErrTokenInvalid", err)
	}
	if _, _, err := auth.ParseToken(s, secretOf, "", now); !errors.Is(err, auth.ErrTokenInvalid) {
		t.Errorf("a server without a public URL accepted a token: %v", err)
	}
}
