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

// SandboxMedia is one media file of a sandbox MMS: the MediaUrl it was
// sent with, and the content type guessed from it.
type SandboxMedia struct {
	SID         string
	AccountSID  string
	MessageSID  string
	URL         string
	ContentType string
	CreatedAt   time.Time
}

// SandboxCall is a call "placed" through the sandbox. Like a message it
// stores where the call ends up (FinalStatus); the status a client sees
// follows its age.
type SandboxCall struct {
	SID         string
	AccountSID  string
	Direction   string
	From        string
	To          string
	FinalStatus string
	CreatedAt   time.Time
	// Duration is how long the call lasts once answered (whole seconds);
	// zero for calls placed before it was kept.
	Duration time.Duration
}

// SandboxMedia returns the media of an account's message, in the order
// they were sent.
func (s *Store) SandboxMedia(ctx context.Context, accountSID, messageSID string) ([]SandboxMedia, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT sid, account_sid, message_sid, url, content_type, created_at
		FROM sandbox_media WHERE account_sid = ? AND message_sid = ? ORDER BY created_at, rowid`, accountSID, messageSID)
	if err != nil {
		return nil, fmt.Errorf("list sandbox media: %w", err)
	}
	defer rows.Close()
	var out []SandboxMedia
	for rows.Next() {
		var m SandboxMedia
		if err := rows.Scan(&m.SID, &m.AccountSID, &m.MessageSID, &m.URL, &m.ContentType, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("list sandbox media: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CreateSandboxCall stores a new call of an existing sandbox account. A
// zero CreatedAt is set from the store's clock.
func (s *Store) CreateSandboxCall(ctx context.Context, c SandboxCall) (SandboxCall, error) {
	c.CreatedAt = s.sandboxStamp(c.CreatedAt)
	_, err := s.w.ExecContext(ctx, `INSERT INTO sandbox_calls (sid, account_sid, direction, from_number, to_number,
		final_status, created_at, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.SID, c.AccountSID, c.Direction, c.From, c.To, c.FinalStatus, c.CreatedAt, int64(c.Duration/time.Second))
	if err != nil {
		return SandboxCall{}, fmt.Errorf("create sandbox call: %w", err)
	}
	return c, nil
}

const sandboxCallColumns = `sid, account_sid, direction, from_number, to_number, final_status, created_at, duration_s`

func scanSandboxCall(row interface{ Scan(...any) error }) (SandboxCall, error) {
	var c SandboxCall
	var secs int64
	err := row.Scan(&c.SID, &c.AccountSID, &c.Direction, &c.From, &c.To, &c.FinalStatus, &c.CreatedAt, &secs)
	c.Duration = time.Duration(secs) * time.Second
	return c, err
}

// SandboxCall returns the call sid of account accountSID; another
// account's call is ErrNotFound, as Twilio answers 404 for it.
func (s *Store) SandboxCall(ctx context.Context, accountSID, sid string) (SandboxCall, error) {
	c, err := scanSandboxCall(s.r.QueryRowContext(ctx, `SELECT `+sandboxCallColumns+`
		FROM sandbox_calls WHERE account_sid = ? AND sid = ?`, accountSID, sid))
	if errors.Is(err, sql.ErrNoRows) {
		return SandboxCall{}, quest.ErrNotFound
	}
	if err != nil {
		return SandboxCall{}, fmt.Errorf("read sandbox call: %w", err)
	}
	return c, nil
}

// SandboxCalls returns one page of an account's calls, newest first,
// selected like SandboxMessages.
func (s *Store) SandboxCalls(ctx context.Context, f SandboxMessageFilter) ([]SandboxCall, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt64
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+sandboxCallColumns+` FROM sandbox_calls
		WHERE account_sid = ? AND (? = '' OR to_number = ?) AND (? = '' OR from_number = ?)
		ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
		f.AccountSID, f.To, f.To, f.From, f.From, limit, max(f.Offset, 0))
	if err != nil {
		return nil, fmt.Errorf("list sandbox calls: %w", err)
	}
	defer rows.Close()
	var out []SandboxCall
	for rows.Next() {
		c, err := scanSandboxCall(rows)
		if err != nil {
			return nil, fmt.Errorf("list sandbox calls: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ErrSandboxQuota is returned (wrapped) by TakeSandboxQuota when the
// account has used up one of its quotas, so the sandbox answers Twilio's
// "too many requests" instead of storing more.
var ErrSandboxQuota = errors.New("sandbox account quota used up")

// SandboxUse is what one request adds to a sandbox account: messages,
// calls, media and API keys. It is also a quota: the most of each one
// account may ever hold, where zero or less means no limit.
type SandboxUse struct {
	Messages, Calls, Media, Keys int
	// Resources counts phone numbers, services and verifications.
	Resources int
}

// TakeSandboxQuota counts use against the account's quota, or counts
// nothing and returns ErrSandboxQuota when any counter would pass its
// limit. It is one conditional UPDATE, so concurrent requests of one
// account cannot together pass the quota, on either database. It is taken
// before the rows are written: a write that then fails costs the account
// its share, which errs on the side of the bound.
func (s *Store) TakeSandboxQuota(ctx context.Context, accountSID string, use, quota SandboxUse) error {
	limit := func(n int) int {
		if n <= 0 {
			return math.MaxInt32
		}
		return n
	}
	res, err := s.w.ExecContext(ctx, `UPDATE sandbox_accounts SET messages_used = messages_used + ?,
		calls_used = calls_used + ?, media_used = media_used + ?, keys_used = keys_used + ?, resources_used = resources_used + ?
		WHERE sid = ? AND messages_used + ? <= ? AND calls_used + ? <= ? AND media_used + ? <= ? AND keys_used + ? <= ?
		AND resources_used + ? <= ?`,
		use.Messages, use.Calls, use.Media, use.Keys, use.Resources, accountSID,
		use.Messages, limit(quota.Messages), use.Calls, limit(quota.Calls),
		use.Media, limit(quota.Media), use.Keys, limit(quota.Keys), use.Resources, limit(quota.Resources))
	if err != nil {
		return fmt.Errorf("take sandbox quota: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("take sandbox quota: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("account %s: %w", accountSID, ErrSandboxQuota)
	}
	return nil
}
