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
	claims := func(exp time.Duration) apikey.Claims {
		return apikey.Claims{Name: "Ada", Locale: "fr", RegisteredClaims: jwt.RegisteredClaims{Subject: "p42", ExpiresAt: jwt.NewNumericDate(now.Add(exp))}}
	}
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
		{"no expiry", sign(a.ID, a.SigningSecret, apikey.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "p42"}}), apikey.ErrTokenInvalid},
		{"lives too long", sign(a.ID, a.SigningSecret, claims(48*time.Hour)), apikey.ErrTokenInvalid},
		{"no subject", sign(a.ID, a.SigningSecret, apikey.Claims{RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}), apikey.ErrTokenInvalid},
		{"garbage", "hello", apikey.ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, kid, err := apikey.ParseToken(tt.token, secretOf, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if tt.want == nil && (c.Subject != "p42" || c.Locale != "fr" || kid != a.ID) {
				t.Errorf("claims %+v kid %q", c, kid)
			}
		})
	}
}
