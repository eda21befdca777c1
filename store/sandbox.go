package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/questgate/questgate/quest"
)

// SandboxAccount is an account of the built-in Twilio sandbox. The auth
// token is in clear in memory, because the sandbox compares it and returns
// it on the Account resource as Twilio does; the database holds it sealed
// like any other secret, since players paste it where they paste real ones.
type SandboxAccount struct {
	SID          string
	AuthToken    string
	FriendlyName string
	CreatedAt    time.Time
}

// String masks the auth token.
func (a SandboxAccount) String() string { return fmt.Sprintf("{%s **** %q}", a.SID, a.FriendlyName) }

// GoString masks the auth token for %#v.
func (a SandboxAccount) GoString() string { return "store.SandboxAccount" + a.String() }

// SandboxKey is an API key of a sandbox account: a second credential
// (SID + secret) that authenticates as its account.
type SandboxKey struct {
	SID          string
	AccountSID   string
	Secret       string
	FriendlyName string
	CreatedAt    time.Time
}

// String masks the secret.
func (k SandboxKey) String() string {
	return fmt.Sprintf("{%s %s **** %q}", k.SID, k.AccountSID, k.FriendlyName)
}

// GoString masks the secret for %#v.
func (k SandboxKey) GoString() string { return "store.SandboxKey" + k.String() }

// SandboxMessage is a message "sent" through the sandbox. It stores where
// the message ends up (FinalStatus, ErrorCode) rather than its current
// status: the sandbox derives the status a client sees from the message's
// age, so nothing has to run in the background to move it along.
type SandboxMessage struct {
	SID        string
	AccountSID string
	Direction  string
	// From is empty when the message was sent through a Messaging
	// Service without a From number.
	From     string
	To       string
	Body     string
	NumMedia int
	// MessagingServiceSID is empty when none was given.
	MessagingServiceSID string
	FinalStatus         string
	// ErrorCode is 0 when the message ends without error (NULL in SQL).
	ErrorCode int
	CreatedAt time.Time
	// Media are the message's media, written with it (only on create:
	// reads leave it empty; see SandboxMedia).
	Media []SandboxMedia
}

// SandboxMessageFilter selects one page of an account's messages, newest
// first. Empty To and From match every message.
type SandboxMessageFilter struct {
	AccountSID string
	To         string
	From       string
	Offset     int
	// Limit caps the number of messages; zero or less means no cap.
	Limit int
}

// CreateSandboxAccount stores a new sandbox account. A zero CreatedAt is
// set from the store's clock; the sandbox passes its own so that a test
// clock drives both.
func (s *Store) CreateSandboxAccount(ctx context.Context, a SandboxAccount) (SandboxAccount, error) {
	a.CreatedAt = s.sandboxStamp(a.CreatedAt)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sealed, err := s.seal(ctx, tx, a.AuthToken, a.SID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sandbox_accounts (sid, auth_token, friendly_name, created_at)
			VALUES (?, ?, ?, ?)`, a.SID, sealed, a.FriendlyName, a.CreatedAt)
		return err
	})
	if err != nil {
		return SandboxAccount{}, fmt.Errorf("create sandbox account: %w", err)
	}
	return a, nil
}

// SandboxAccount returns the sandbox account sid, or ErrNotFound.
func (s *Store) SandboxAccount(ctx context.Context, sid string) (SandboxAccount, error) {
	var a SandboxAccount
	err := s.r.QueryRowContext(ctx, `SELECT sid, auth_token, friendly_name, created_at
		FROM sandbox_accounts WHERE sid = ?`, sid).Scan(&a.SID, &a.AuthToken, &a.FriendlyName, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return SandboxAccount{}, quest.ErrNotFound
	}
	if err != nil {
		return SandboxAccount{}, fmt.Errorf("read sandbox account: %w", err)
	}
	if a.AuthToken, err = s.open(a.AuthToken, a.SID); err != nil {
		return SandboxAccount{}, fmt.Errorf("read sandbox account: %w", err)
	}
	return a, nil
}

// CreateSandboxKey stores a new API key for an existing sandbox account.
// A zero CreatedAt is set from the store's clock.
func (s *Store) CreateSandboxKey(ctx context.Context, k SandboxKey) (SandboxKey, error) {
	k.CreatedAt = s.sandboxStamp(k.CreatedAt)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sealed, err := s.seal(ctx, tx, k.Secret, k.AccountSID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sandbox_keys (sid, account_sid, secret, friendly_name, created_at)
			VALUES (?, ?, ?, ?, ?)`, k.SID, k.AccountSID, sealed, k.FriendlyName, k.CreatedAt)
		return err
	})
	if err != nil {
		return SandboxKey{}, fmt.Errorf("create sandbox key: %w", err)
	}
	return k, nil
}

// SandboxKey returns the sandbox API key sid, or ErrNotFound.
func (s *Store) SandboxKey(ctx context.Context, sid string) (SandboxKey, error) {
	var k SandboxKey
	err := s.r.QueryRowContext(ctx, `SELECT sid, account_sid, secret, friendly_name, created_at
		FROM sandbox_keys WHERE sid = ?`, sid).Scan(&k.SID, &k.AccountSID, &k.Secret, &k.FriendlyName, &k.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return SandboxKey{}, quest.ErrNotFound
	}
	if err != nil {
		return SandboxKey{}, fmt.Errorf("read sandbox key: %w", err)
	}
	if k.Secret, err = s.open(k.Secret, k.AccountSID); err != nil {
		return SandboxKey{}, fmt.Errorf("read sandbox key: %w", err)
	}
	return k, nil
}

// CreateSandboxMessage stores a new message of an existing sandbox
// account. A zero CreatedAt is set from the store's clock.
func (s *Store) CreateSandboxMessage(ctx context.Context, m SandboxMessage) (SandboxMessage, error) {
	m.CreatedAt = s.sandboxStamp(m.CreatedAt)
	var code any
	if m.ErrorCode != 0 {
		code = m.ErrorCode
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sandbox_messages (sid, account_sid, direction, from_number,
			to_number, body, num_media, messaging_service_sid, final_status, error_code, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.SID, m.AccountSID, m.Direction, m.From, m.To, m.Body, m.NumMedia, m.MessagingServiceSID,
			m.FinalStatus, code, m.CreatedAt)
		if err != nil {
			return err
		}
		for i, md := range m.Media {
			md.AccountSID, md.MessageSID, md.CreatedAt = m.AccountSID, m.SID, m.CreatedAt
			// Same instant for all: the rowid keeps their order.
			if _, err := tx.ExecContext(ctx, `INSERT INTO sandbox_media (sid, account_sid, message_sid, url, content_type, created_at)
				VALUES (?, ?, ?, ?, ?, ?)`, md.SID, md.AccountSID, md.MessageSID, md.URL, md.ContentType, md.CreatedAt); err != nil {
				return err
			}
			m.Media[i] = md
		}
		return nil
	})
	if err != nil {
		return SandboxMessage{}, fmt.Errorf("create sandbox message: %w", err)
	}
	return m, nil
}

const sandboxMessageColumns = `sid, account_sid, direction, from_number, to_number, body, num_media,
	messaging_service_sid, final_status, error_code, created_at`

func scanSandboxMessage(row interface{ Scan(...any) error }) (SandboxMessage, error) {
	var (
		m    SandboxMessage
		code sql.NullInt64
	)
	err := row.Scan(&m.SID, &m.AccountSID, &m.Direction, &m.From, &m.To, &m.Body, &m.NumMedia,
		&m.MessagingServiceSID, &m.FinalStatus, &code, &m.CreatedAt)
	if err != nil {
		return SandboxMessage{}, err
	}
	m.ErrorCode = int(code.Int64)
	return m, nil
}

// SandboxMessage returns the message sid of account accountSID. A message
// of another account is ErrNotFound, as Twilio answers 404 for it.
func (s *Store) SandboxMessage(ctx context.Context, accountSID, sid string) (SandboxMessage, error) {
	m, err := scanSandboxMessage(s.r.QueryRowContext(ctx, `SELECT `+sandboxMessageColumns+`
		FROM sandbox_messages WHERE account_sid = ? AND sid = ?`, accountSID, sid))
	if errors.Is(err, sql.ErrNoRows) {
		return SandboxMessage{}, quest.ErrNotFound
	}
	if err != nil {
		return SandboxMessage{}, fmt.Errorf("read sandbox message: %w", err)
	}
	return m, nil
}

// SandboxMessages returns the page of an account's messages that f
// selects, newest first; messages created in the same instant come in
// reverse insertion order, so paging is stable.
func (s *Store) SandboxMessages(ctx context.Context, f SandboxMessageFilter) ([]SandboxMessage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt64
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+sandboxMessageColumns+` FROM sandbox_messages
		WHERE account_sid = ? AND (? = '' OR to_number = ?) AND (? = '' OR from_number = ?)
		ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
		f.AccountSID, f.To, f.To, f.From, f.From, limit, max(f.Offset, 0))
	if err != nil {
		return nil, fmt.Errorf("list sandbox messages: %w", err)
	}
	defer rows.Close()
	var out []SandboxMessage
	for rows.Next() {
		m, err := scanSandboxMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list sandbox messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sandbox messages: %w", err)
	}
	return out, nil
}

// sandboxStamp returns t in UTC, or the store's clock when t is zero, to
// the microsecond: what PostgreSQL keeps, so what is returned is what
// reads back, on either database.
func (s *Store) sandboxStamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}
