package auth

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashAndCheck(t *testing.T) {
	tests := []struct {
		pw      string
		wantErr error
	}{
		{"short", ErrPasswordTooShort},
		{"correct horse battery", nil},
		{"été à la mer", nil},
		{strings.Repeat("x", 73), ErrPasswordTooLong},
	}
	for _, tt := range tests {
		h, err := HashPassword(tt.pw)
		if err != tt.wantErr {
			t.Errorf("Hash(%q) err = %v, want %v", tt.pw, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !IsPasswordPolicy(err) {
				t.Errorf("%v is not a policy error", err)
			}
			continue
		}
		if !CheckPassword(h, tt.pw) || CheckPassword(h, tt.pw+"!") || CheckPassword("garbage", tt.pw) {
			t.Errorf("Check disagrees for %q", tt.pw)
		}
	}
}

func TestDummyHashCostsLikeARealOne(t *testing.T) {
	cost, err := bcrypt.Cost(dummyHash)
	if err != nil || cost != PasswordCost {
		t.Errorf("dummy hash cost = %d, %v; want %d, so unknown emails take as long as wrong passwords", cost, err, PasswordCost)
	}
}
