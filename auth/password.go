package auth

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is bcrypt's work factor: about a quarter of a second per check on
// a small server, slow for an attacker, fine for a sign-in.
const PasswordCost = 12

// Lengths a password must respect. bcrypt ignores bytes past 72, so a
// longer password would silently be cut: refuse it instead.
const (
	PasswordMinLength = 10
	PasswordMaxBytes  = 72
)

// ErrPasswordTooShort and ErrPasswordTooLong describe passwords that are refused.
var (
	ErrPasswordTooShort = fmt.Errorf("a password needs at least %d characters", PasswordMinLength)
	ErrPasswordTooLong  = fmt.Errorf("a password may have at most %d bytes", PasswordMaxBytes)
)

// HashPassword returns the bcrypt hash of a password that meets the rules.
func HashPassword(pw string) (string, error) {
	if utf8.RuneCountInString(pw) < PasswordMinLength {
		return "", ErrPasswordTooShort
	}
	if len(pw) > PasswordMaxBytes {
		return "", ErrPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether pw matches hash. Any error (a malformed hash
// included) is a mismatch.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// dummyHash is checked against when an account does not exist, so that a
// sign-in takes as long for an unknown email as for a wrong password.
var dummyHash = []byte("$2a$12$C6UzMDM.H6dfI/f/IKcEeO5NFkVK7uXZ4Bk7hXjGUBWtOh9zXbq7C")

// CheckNobody spends the time of a check, for unknown accounts.
func CheckNobody(pw string) {
	_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
}

// IsPasswordPolicy reports whether err is a password rule, to show to the user.
func IsPasswordPolicy(err error) bool {
	return errors.Is(err, ErrPasswordTooShort) || errors.Is(err, ErrPasswordTooLong)
}
