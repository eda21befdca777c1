package store

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want, secret string
	}{
		{"a SQLite path", "data/questgate.db", "data/questgate.db", ""},
		{"a sqlite: URL", "sqlite:/var/lib/q.db", "sqlite:/var/lib/q.db", ""},
		{"no password", "postgres://app@db:5432/q", "postgres://app@db:5432/q", ""},
		{"a password", "postgres://app:s3cret-pw@db:5432/q?sslmode=require", "postgres://app:xxxxx@db:5432/q?sslmode=require", "s3cret-pw"},
		{"a password parameter", "postgres://app@db/q?password=s3cret-pw&sslmode=disable", "postgres://app@db/q?password=xxxxx&sslmode=disable", "s3cret-pw"},
		{"an unencoded @ in the password", "postgres://app:pa@ss@db/q", "postgres://xxxxx", "pa@ss"},
		{"an unreadable URL", "postgres://app:s3cret%zz@db/q", "postgres://xxxxx", "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactURL(tt.in)
			if got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("RedactURL(%q) = %q shows the password", tt.in, got)
			}
		})
	}
}
