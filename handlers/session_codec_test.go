package handlers

import (
	"reflect"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// TestSessionCodec: a session comes back as it was put, whichever codec
// wrote it: this one, or scs's gob codec before an upgrade (so nobody is
// signed out by it), and with gob for a value of a type it does not know.
func TestSessionCodec(t *testing.T) {
	deadline := time.Date(2026, 12, 5, 1, 2, 3, 456789, time.UTC)
	tests := []struct {
		name   string
		encode func(time.Time, map[string]any) ([]byte, error)
		values map[string]any
	}{
		{"player and csrf", sessionCodec{}.Encode, map[string]any{sessionPlayer: "p-123", sessionCSRF: "tok", sessionTouched: int64(1764896523000000000)}},
		{"instructor", sessionCodec{}.Encode, map[string]any{instructorSessionKey: int64(7), instructorUntilKey: int64(1764900000)}},
		{"empty", sessionCodec{}.Encode, map[string]any{}},
		{"written by gob before", scs.GobCodec{}.Encode, map[string]any{sessionPlayer: "p-9", sessionTouched: int64(42)}},
		{"a type of its own goes by gob", sessionCodec{}.Encode, map[string]any{"flag": true, sessionPlayer: "p-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.encode(deadline, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			gotDeadline, got, err := sessionCodec{}.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !gotDeadline.Equal(deadline) {
				t.Errorf("deadline %v, want %v", gotDeadline, deadline)
			}
			if !reflect.DeepEqual(got, tt.values) {
				t.Errorf("values %#v, want %#v", got, tt.values)
			}
		})
	}
}

// TestSessionCodecRefusesGarbage: a damaged session is an error, which
// scs answers with a new session, never a panic or a half-read one.
func TestSessionCodecRefusesGarbage(t *testing.T) {
	for _, b := range [][]byte{[]byte(sessionMagic + "{"), []byte(sessionMagic + `{"s":{"a":1}}`), []byte("not gob")} {
		if _, _, err := (sessionCodec{}).Decode(b); err == nil {
			t.Errorf("Decode(%q) = nil error", b)
		}
	}
}
