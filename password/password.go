// Package password hashes and checks instructors' passwords with bcrypt,
// so a leaked database does not give their passwords away.
package password

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Cost is bcrypt's work factor: about a quarter of a second per check on
// a small server, slow for an attacker, fine for a sign-in.
const Cost = 12

// Lengths a password must respect. bcrypt ignores bytes past 72, so a
// longer password would silently be cut: refuse it instead.
const (
	MinLength = 10
	MaxBytes  = 72
)

// ErrTooShort and ErrTooLong describe passwords that are refused.
var (
	ErrTooShort = fmt.Errorf("a password needs at least %d characters", MinLength)
	ErrTooLong  = fmt.Errorf("a password may have at most %d bytes", MaxBytes)
)

// Hash returns the bcrypt hash of a password that meets the rules.
func Hash(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < MinLength {
		return "", ErrTooShort
	}
	if len(pw) > MaxBytes {
		return "", ErrTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), Cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Check reports whether pw matches hash. Any error (a malformed hash
// included) is a mismatch.
func Check(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// dummyHash is checked against when an account does not exist, so that a
// sign-in takes as long for an unknown email as for a wrong password.
var dummyHash = []byte("$2a$12$C6UzMDM.H6dfI/f/IKcEeO5NFkVK7uXZ4Bk7hXjGUBWtOh9zXbq7C")

// CheckNobody spends the time of a check, for unknown accounts.
func CheckNobody(pw string) {
	_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
}

// IsPolicy reports whether err is a password rule, to show to the user.
func IsPolicy(err error) bool { return errors.Is(err, ErrTooShort) || errors.Is(err, ErrTooLong) }
