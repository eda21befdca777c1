package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	token   = "0123456789abcdef0123456789abcdef"
	account = "AC0123456789abcdef0123456789abcdef"
)

func mustKey(t *testing.T) *Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	r := NewRing(mustKey(t))
	sealed, err := r.Seal(token, account)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, token) {
		t.Fatalf("sealed value shows the plaintext: %s", sealed)
	}
	if got := SealedWith(sealed); got != r.Current().ID() {
		t.Errorf("SealedWith = %q, want %q", got, r.Current().ID())
	}
	again, _ := r.Seal(token, account)
	if again == sealed {
		t.Error("two seals of the same value are equal: the nonce is not random")
	}
	got, err := r.Open(sealed, account)
	if err != nil || got != token {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	r := NewRing(mustKey(t))
	sealed, err := r.Seal(token, account)
	if err != nil {
		t.Fatal(err)
	}
	other := NewRing(mustKey(t))
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 1
	if flipped[len(flipped)-3] == '.' {
		flipped[len(flipped)-3] = 'A'
	}
	tests := []struct {
		name   string
		ring   *Ring
		sealed string
		aad    string
		unkown bool
	}{
		{"another account", r, sealed, "AC" + strings.Repeat("f", 32), false},
		{"a key the ring lacks", other, sealed, account, true},
		{"damaged", r, string(flipped), account, false},
		{"plaintext", r, token, account, false},
		{"truncated", r, sealed[:12], account, false},
		{"empty", r, "", account, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ring.Open(tt.sealed, tt.aad)
			if err == nil || got != "" {
				t.Fatalf("Open = %q, %v; want an error", got, err)
			}
			if errors.Is(err, ErrUnknownKey) != tt.unkown {
				t.Errorf("ErrUnknownKey = %v, want %v (%v)", !tt.unkown, tt.unkown, err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

func TestRingRotation(t *testing.T) {
	old, cur := mustKey(t), mustKey(t)
	before, err := NewRing(old).Seal(token, account)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRing(cur, old, nil)
	if got, err := r.Open(before, account); err != nil || got != token {
		t.Fatalf("the new ring does not open the old key's value: %q %v", got, err)
	}
	if diff := cmp.Diff([]string{cur.ID(), old.ID()}, r.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if !r.Has(old.ID()) || r.Has("nope") {
		t.Error("Has is wrong")
	}
	back, ok := r.SealingWith(old.ID())
	if !ok || back.Current() != old {
		t.Fatal("SealingWith(old) does not seal with old")
	}
	if s, _ := back.Seal(token, account); SealedWith(s) != old.ID() {
		t.Errorf("sealed with %s, want %s", SealedWith(s), old.ID())
	}
	if got, err := back.Open(before, account); err != nil || got != token {
		t.Errorf("SealingWith lost keys: %q %v", got, err)
	}
	if _, ok := r.SealingWith("nope"); ok {
		t.Error("SealingWith an unknown key succeeded")
	}
}

func TestParseKey(t *testing.T) {
	raw := make([]byte, KeySize)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	want, err := NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	good := []string{
		base64.StdEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw),
		base64.URLEncoding.EncodeToString(raw),
		base64.RawURLEncoding.EncodeToString(raw),
		hex.EncodeToString(raw),
		"  " + base64.StdEncoding.EncodeToString(raw) + "\n",
	}
	for _, s := range good {
		k, err := ParseKey(s)
		if err != nil {
			t.Errorf("ParseKey(%q): %v", s, err)
			continue
		}
		if k.ID() != want.ID() {
			t.Errorf("ParseKey(%q) gives key %s, want %s", s, k.ID(), want.ID())
		}
	}
	bad := []string{"", "short", base64.StdEncoding.EncodeToString(raw[:16]), hex.EncodeToString(raw)[:63] + "g",
		base64.StdEncoding.EncodeToString(append(raw, 1))}
	for _, s := range bad {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted a malformed key", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k := mustKey(t)
	secret := k.String()
	for _, verb := range []string{"%v", "%+v", "%s", "%#v", "%q", "%x"} {
		if out := fmt.Sprintf(verb, k); strings.Contains(out, secret) || !strings.Contains(out, k.ID()) {
			t.Errorf("%s prints %q", verb, out)
		}
	}
	if out := fmt.Sprintf("%v", NewRing(k)); strings.Contains(out, secret) {
		t.Errorf("a ring prints its key: %s", out)
	}
}

// BenchmarkSealOpen is the cost sealing adds to saving credentials and
// opening adds to every verification and sandbox request.
func BenchmarkSealOpen(b *testing.B) {
	k, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	r := NewRing(k)
	for b.Loop() {
		s, err := r.Seal(token, account)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Open(s, account); err != nil {
			b.Fatal(err)
		}
	}
}
