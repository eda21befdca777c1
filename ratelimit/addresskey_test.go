package ratelimit_test

import (
	"testing"

	"github.com/questgate/questgate/ratelimit"
)

// TestAddressKey: an IPv6 client counts by its /64, an IPv4 one (mapped or
// not) by its address.
func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.5":                  "203.0.113.5",
		"::ffff:203.0.113.5":           "203.0.113.5",
		"2001:db8:1:2:aaaa::1":         "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::ffff": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":              "2001:db8:1:3::/64",
		"not an address":               "not an address",
	} {
		if got := ratelimit.AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}
