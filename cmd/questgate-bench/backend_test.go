package main

import (
	"strings"
	"testing"
)

// TestPGTransport says, in the PostgreSQL runs' heading, whether the
// servers reach the database through a Unix socket or over TCP, and
// suggests the socket when TCP goes to this machine.
func TestPGTransport(t *testing.T) {
	tests := []struct {
		url        string
		want       string
		suggestion bool
	}{
		{"postgres://postgres@/test?host=/var/run/postgresql&sslmode=disable", "through the Unix socket in /var/run/postgresql", false},
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "over TCP to 127.0.0.1:5432", true},
		{"postgres://postgres@localhost/test", "over TCP to localhost:5432", true},
		{"postgres://q@db.internal:6432/q?sslmode=verify-full", "over TCP to db.internal:6432", false},
		{"postgres://q@[::1]:5432/q", "over TCP to [::1]:5432", true},
		{"postgres://q@db:notaport/q", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got := pgTransport(tt.url)
			if !strings.HasPrefix(got, tt.want) || (tt.want == "" && got != "") {
				t.Errorf("pgTransport = %q, want it to start with %q", got, tt.want)
			}
			if has := strings.Contains(got, "Unix socket costs"); has != tt.suggestion {
				t.Errorf("pgTransport = %q: suggests a socket %v, want %v", got, has, tt.suggestion)
			}
		})
	}
}
