package password

import (
	"golang.org/x/crypto/bcrypt"
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	tests := []struct {
		pw      string
		wantErr error
	}{
		{"short", ErrTooShort},
		{"correct horse battery", nil},
		{"été à la mer", nil},
		{strings.Repeat("x", 73), ErrTooLong},
	}
	for _, tt := range tests {
		h, err := Hash(tt.pw)
		if err != tt.wantErr {
			t.Errorf("Hash(%q) err = %v, want %v", tt.pw, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !IsPolicy(err) {
				t.Errorf("%v is not a policy error", err)
			}
			continue
		}
		if !Check(h, tt.pw) || Check(h, tt.pw+"!") || Check("garbage", tt.pw) {
			t.Errorf("Check disagrees for %q", tt.pw)
		}
	}
}

func TestDummyHashCostsLikeARealOne(t *testing.T) {
	cost, err := bcrypt.Cost(dummyHash)
	if err != nil || cost != Cost {
		t.Errorf("dummy hash cost = %d, %v; want %d, so unknown emails take as long as wrong passwords", cost, err, Cost)
	}
}
