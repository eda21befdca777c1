// Package auth holds what proves who is calling: games' API keys (the key
// itself, shown once and stored only as a hash, and the signing secret of
// the widget's tokens), the widget's tokens, and instructors' passwords.
// It is a leaf the handlers and the commands use: it knows formats and
// hashes, not storage.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// KeyPrefix starts every key, so that a leaked one is recognisable (secret
// scanners, logs) and a wrong value is told apart at a glance.
const KeyPrefix = "qg_live_"

// NewKey is a fresh key with what the store keeps of it.
type NewKey struct {
	// ID is the key's public id ("key_…"): it names the key in lists,
	// commands and the widget tokens' kid header.
	ID string
	// Key is the bearer secret, shown once.
	Key string
	// Hash is Key's SHA-256 in hex, what the store keeps.
	Hash string
	// Shown is the start of the key, kept to tell keys apart.
	Shown string
	// SigningSecret signs the widget's tokens (JWT HS256).
	SigningSecret string
}

// GenerateKey returns a new key: 130 random bits after the prefix, a 256-bit
// signing secret.
func GenerateKey() NewKey {
	key := KeyPrefix + strings.ToLower(rand.Text())
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // never fails (crypto/rand)
	return NewKey{
		ID:            "key_" + strings.ToLower(rand.Text()[:12]),
		Key:           key,
		Hash:          HashKey(key),
		Shown:         key[:len(KeyPrefix)+4],
		SigningSecret: base64.RawURLEncoding.EncodeToString(secret),
	}
}

// HashKey is the stored form of a key: its SHA-256 in hex. Keys are random,
// so a plain hash suffices (no salt or slow hash needed).
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// LooksLikeKey reports whether s has the shape of a key, to refuse anything else
// before touching the database.
func LooksLikeKey(s string) bool {
	return strings.HasPrefix(s, KeyPrefix) && len(s) > len(KeyPrefix)+16 && len(s) < 128
}

// CheckOrigin checks that o is a web origin (scheme and host, such as
// https://game.example, no path): what CORS and frame-ancestors compare.
func CheckOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, " ;,'\"*") || o != strings.ToLower(o) {
		return fmt.Errorf("origin %q: give a lowercase scheme and host with no path, such as https://game.example", o)
	}
	return nil
}
