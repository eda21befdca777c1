package quest

import (
	"time"
)

// APIKey is a game's key to the JSON API and the widget. The key itself is
// never stored: Hash is its SHA-256 (hex), Prefix its first characters, to
// tell keys apart in lists. SigningSecret, in clear in memory only, signs
// the widget's tokens.
type APIKey struct {
	ID            string
	Name          string
	Hash          string
	Prefix        string
	Origins       []string
	SigningSecret string
	CreatedAt     time.Time
	// RevokedAt is zero while the key works.
	RevokedAt time.Time
}

// WebhookEndpoint is where a key's game listens. Secret (whsec_…) is in
// clear in memory only.
type WebhookEndpoint struct {
	ID       int64
	APIKeyID string
	URL      string
	Secret   string
}

// WebhookAttempt is one try at delivering an event.
type WebhookAttempt struct {
	EventID string
	// Status is the receiver's HTTP status, 0 when none came back.
	Status  int
	Latency time.Duration
	Error   string
	At      time.Time
}

// WebhookEvent is an event as instructors see it, with its attempts.
type WebhookEvent struct {
	ID        string
	Type      string
	Payload   string
	URL       string
	KeyName   string
	State     string
	Attempts  []WebhookAttempt
	NextAt    time.Time
	CreatedAt time.Time
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// AllowsOrigin reports whether origin is one of the key's origins.
func (k APIKey) AllowsOrigin(origin string) bool {
	for _, o := range k.Origins {
		if o == origin {
			return true
		}
	}
	return false
}

// Delivered reports whether the receiver took the event (any 2xx).
func (a WebhookAttempt) Delivered() bool { return a.Status >= 200 && a.Status < 300 }

// Idempotent is a stored Idempotency-Key answer. Status 0 means the first
// request is still running.
type Idempotent struct {
	RequestHash string
	Status      int
	Body        []byte
}
