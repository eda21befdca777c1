package templates

import "testing"

func TestInitials(t *testing.T) {
	for in, want := range map[string]string{
		"Ada Lovelace":              "A. L.",
		"élodie de la Tour":         "É. D. L.",
		"🎉 Bob":                     "B.",
		"   ":                       "",
		"<script>alert(1)</script>": "",
	} {
		if got := Initials(in); got != want {
			t.Errorf("Initials(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"names": NamesFull, "hidden": NamesHidden, "": NamesInitials, "leaderboard": NamesInitials} {
		if got := ParseNames(in); got != want {
			t.Errorf("ParseNames(%q) = %q, want %q", in, got, want)
		}
	}
}
