// Package secrets seals the secrets players trust questgate with (Twilio
// auth tokens and API key secrets) with AES-256-GCM, so a copied database
// file or backup reveals nothing without the key.
//
// A sealed value names the key that sealed it, so a key ring can hold the
// current key and the previous one while a rotation is under way, and a
// rotation interrupted half-way can simply be run again.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// prefix marks the sealed format, to tell it apart from anything else and
// to allow a new format later.
const prefix = "qg1"

// ErrUnknownKey means a value was sealed with a key the ring does not hold.
var ErrUnknownKey = errors.New("sealed with a key this server does not have")

// Key is one AES-256 key.
type Key struct {
	id   string
	aead cipher.AEAD
	raw  []byte
}

// NewKey makes a Key from 32 raw bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("a key is %d bytes, not %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte("questgate key id\x00"), raw...))
	return &Key{id: hex.EncodeToString(sum[:4]), aead: aead, raw: append([]byte(nil), raw...)}, nil
}

// GenerateKey returns a new random key.
func GenerateKey() (*Key, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	return NewKey(raw)
}

// ParseKey reads a key written as base64 (standard or URL alphabet, padded
// or not) or as 64 hex digits, the forms QUESTGATE_SECRET_KEY accepts.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if raw, err := hex.DecodeString(s); err == nil {
			return NewKey(raw)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil && len(raw) == KeySize {
			return NewKey(raw)
		}
	}
	return nil, fmt.Errorf("a secret key is %d random bytes written as base64 or as %d hex digits (generate one with: openssl rand -base64 32)", KeySize, 2*KeySize)
}

// ID is a short fingerprint naming the key in sealed values and logs. It
// reveals nothing about the key.
func (k *Key) ID() string { return k.id }

// String is the key in base64, for writing it to a key file.
func (k *Key) String() string { return base64.StdEncoding.EncodeToString(k.raw) }

// GoString hides the key from %#v.
func (k *Key) GoString() string { return "secrets.Key{" + k.id + "}" }

// Format hides the key from every other verb (%v, %+v, %s…), so it never
// reaches a log line by accident; use String to write it on purpose.
func (k *Key) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "secrets.Key{%s}", k.id) }

// Ring seals with its current key and opens with any key it holds.
type Ring struct {
	current *Key
	byID    map[string]*Key
}

// NewRing returns a ring sealing with current and also opening values
// sealed with the older keys.
func NewRing(current *Key, older ...*Key) *Ring {
	r := &Ring{current: current, byID: map[string]*Key{current.id: current}}
	for _, k := range older {
		if k != nil {
			r.byID[k.id] = k
		}
	}
	return r
}

// Current returns the key new values are sealed with.
func (r *Ring) Current() *Key { return r.current }

// Has reports whether the ring holds the key named id, so a value sealed
// with it opens.
func (r *Ring) Has(id string) bool {
	_, ok := r.byID[id]
	return ok
}

// SealingWith returns a ring holding the same keys that seals with the key
// named id, and false when the ring does not hold that key. A store uses it
// to keep sealing with the key a rotation moved to, whatever key its
// process started with.
func (r *Ring) SealingWith(id string) (*Ring, bool) {
	k, ok := r.byID[id]
	if !ok {
		return nil, false
	}
	if k == r.current {
		return r, true
	}
	return &Ring{current: k, byID: r.byID}, true
}

// RotatingTo returns a ring sealing with k that still opens everything r
// opens: the ring `questgate keys rotate` re-seals with.
func (r *Ring) RotatingTo(k *Key) *Ring {
	out := &Ring{current: k, byID: map[string]*Key{k.id: k}}
	for id, old := range r.byID {
		out.byID[id] = old
	}
	out.byID[k.id] = k
	return out
}

// IDs returns the ids of the ring's keys, the current one first.
func (r *Ring) IDs() []string {
	ids := []string{r.current.id}
	for id := range r.byID {
		if id != r.current.id {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids[1:])
	return ids
}

// Seal encrypts plaintext, binding it to aad (such as the account SID the
// secret belongs to): a sealed token moved to another account's row does
// not open.
func (r *Ring) Seal(plaintext, aad string) (string, error) {
	k := r.current
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
	return prefix + "." + k.id + "." + base64.RawURLEncoding.EncodeToString(ct), nil
}

// Open decrypts a value sealed by Seal with the same aad.
func (r *Ring) Open(sealed, aad string) (string, error) {
	p, id, body, ok := split(sealed)
	if !ok || p != prefix {
		return "", errors.New("not a sealed secret")
	}
	k, ok := r.byID[id]
	if !ok {
		return "", fmt.Errorf("key %s: %w", id, ErrUnknownKey)
	}
	ct, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(ct) < k.aead.NonceSize() {
		return "", errors.New("sealed secret is damaged")
	}
	pt, err := k.aead.Open(nil, ct[:k.aead.NonceSize()], ct[k.aead.NonceSize():], []byte(aad))
	if err != nil {
		return "", errors.New("sealed secret does not open: wrong key, wrong account, or damaged")
	}
	return string(pt), nil
}

// SealedWith returns the id of the key that sealed a value, or "".
func SealedWith(sealed string) string {
	if p, id, _, ok := split(sealed); ok && p == prefix {
		return id
	}
	return ""
}

func split(s string) (p, id, body string, ok bool) {
	p, rest, ok1 := strings.Cut(s, ".")
	id, body, ok2 := strings.Cut(rest, ".")
	return p, id, body, ok1 && ok2
}
