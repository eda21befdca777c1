package apikey_test

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/questgate/questgate/apikey"
)

func TestParseToken(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a, b := apikey.Generate(), apikey.Generate()
	secrets := map[string]string{a.ID: a.SigningSecret, b.ID: b.SigningSecret}
	secretOf := func(kid string) (string, error) {
		if s, ok := secrets[kid]; ok {
			return s, nil
		}
		return "", errors.New("no such key")
	}
	const server = "https://quest.example"
	claims := func(exp time.Duration) apikey.Claims {
		return apikey.Claims{Name: "Ada", Locale: "fr", RegisteredClaims: jwt.RegisteredClaims{Subject: "p42",
			ExpiresAt: jwt.NewNumericDate(now.Add(exp)), Audience: jwt.ClaimStrings{server}}}
	}
	with := func(c apikey.Claims, change func(*apikey.Claims)) apikey.Claims { change(&c); return c }
	sign := func(kid, secret string, c apikey.Claims) string {
		s, err := apikey.SignToken(kid, secret, c)
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
		{"expired", sign(a.ID, a.SigningSecret, claims(-time.Hour)), apikey.ErrTokenExpired},
		{"wrong signature", sign(a.ID, "not the secret", claims(time.Hour)), apikey.ErrTokenInvalid},
		{"wrong key: signed with b's secret, claiming a", sign(a.ID, b.SigningSecret, claims(time.Hour)), apikey.ErrTokenInvalid},
		{"unknown key", sign("key_nope", a.SigningSecret, claims(time.Hour)), apikey.ErrTokenUnknownKey},
		{"alg none", unsigned, apikey.ErrTokenInvalid},
		{"no expiry", sign(a.ID, a.SigningSecret, apikey.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "p42", Audience: jwt.ClaimStrings{server}}}), apikey.ErrTokenInvalid},
		{"expired 6 s ago: beyond the leeway", sign(a.ID, a.SigningSecret, claims(-6*time.Second)), apikey.ErrTokenExpired},
		{"expired 4 s ago: within the leeway", sign(a.ID, a.SigningSecret, claims(-4*time.Second)), nil},
		{"no audience", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *apikey.Claims) { c.Audience = nil })), apikey.ErrTokenInvalid},
		{"another server's audience", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *apikey.Claims) {
			c.Audience = jwt.ClaimStrings{"https://other.example"}
		})), apikey.ErrTokenInvalid},
		{"the audience with a trailing slash, among others", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *apikey.Claims) {
			c.Audience = jwt.ClaimStrings{"https://other.example", server + "/"}
		})), nil},
		{"issued by another key", sign(a.ID, a.SigningSecret, with(claims(time.Hour), func(c *apikey.Claims) { c.Issuer = b.ID })), apikey.ErrTokenInvalid},
		{"lives too long", sign(a.ID, a.SigningSecret, claims(48*time.Hour)), apikey.ErrTokenInvalid},
		{"no subject", sign(a.ID, a.SigningSecret, apikey.Claims{RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}), apikey.ErrTokenInvalid},
		{"garbage", "hello", apikey.ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, kid, err := apikey.ParseToken(tt.token, secretOf, server, now)
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
	k := apikey.Generate()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "p42", "aud": "https://quest.example", "exp": now.Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString([]byte(k.SigningSecret))
	if err != nil {
		t.Fatal(err)
	}
	secretOf := func(string) (string, error) { return k.SigningSecret, nil }
	if _, _, err := apikey.ParseToken(s, secretOf, "https://quest.example", now); !errors.Is(err, apikey.ErrTokenInvalid) {
		t.Errorf("no issuer: %v, want ErrTokenInvalid", err)
	}
	if _, _, err := apikey.ParseToken(s, secretOf, "", now); !errors.Is(err, apikey.ErrTokenInvalid) {
		t.Errorf("a server without a public URL accepted a token: %v", err)
	}
}
