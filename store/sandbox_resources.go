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

// SandboxResource is one of the sandbox's resources beyond messages and
// calls (a phone number, a Messaging Service and its pool numbers, a
// Verify service and its verifications). The store keeps its fields as
// an opaque JSON document: the sandbox owns their shape.
type SandboxResource struct {
	SID        string
	AccountSID string
	// Kind is what the resource is, in the sandbox's words.
	Kind string
	// ParentSID is the service the resource belongs to, "" for none.
	ParentSID string
	// UniqueKey must be unique among the parent's resources of the kind
	// (a phone number's number); "" when nothing need be.
	UniqueKey string
	// Lookup is a second key lists may filter on, "" for none.
	Lookup string
	// Data is the resource's fields, as JSON.
	Data      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SandboxResourceFilter selects an account's resources of one kind for a
// list, newest first.
type SandboxResourceFilter struct {
	AccountSID string
	Kind       string
	// ParentSID and Lookup, when set, must match.
	ParentSID, Lookup string
	Offset            int
	// Limit caps the number of rows; zero or less means no cap.
	Limit int
}

// CreateSandboxResource stores a new resource of an existing sandbox
// account. A zero CreatedAt is set from the store's clock. A second
// resource with the same UniqueKey under the same parent is
// quest.ErrConflict, and nothing is written.
func (s *Store) CreateSandboxResource(ctx context.Context, r SandboxResource) (SandboxResource, error) {
	r.CreatedAt = s.sandboxStamp(r.CreatedAt)
	r.UpdatedAt = r.CreatedAt
	var key any
	if r.UniqueKey != "" {
		key = r.UniqueKey
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO sandbox_resources (sid, account_sid, kind, parent_sid, unique_key, lookup,
		data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.SID, r.AccountSID, r.Kind, r.ParentSID, key, r.Lookup, string(r.Data), r.CreatedAt, r.UpdatedAt)
	if isUnique(err) {
		return SandboxResource{}, fmt.Errorf("create sandbox %s: %w", r.Kind, quest.ErrConflict)
	}
	if err != nil {
		return SandboxResource{}, fmt.Errorf("create sandbox %s: %w", r.Kind, err)
	}
	return r, nil
}

const sandboxResourceColumns = `sid, account_sid, kind, parent_sid, COALESCE(unique_key, ''), lookup, data, created_at, updated_at`

func scanSandboxResource(row interface{ Scan(...any) error }) (SandboxResource, error) {
	var r SandboxResource
	var data string
	err := row.Scan(&r.SID, &r.AccountSID, &r.Kind, &r.ParentSID, &r.UniqueKey, &r.Lookup, &data, &r.CreatedAt, &r.UpdatedAt)
	r.Data = []byte(data)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, err
}

// SandboxResource returns the account's resource sid of kind, or
// quest.ErrNotFound.
func (s *Store) SandboxResource(ctx context.Context, accountSID, kind, sid string) (SandboxResource, error) {
	r, err := scanSandboxResource(s.r.QueryRowContext(ctx, `SELECT `+sandboxResourceColumns+`
		FROM sandbox_resources WHERE account_sid = ? AND kind = ? AND sid = ?`, accountSID, kind, sid))
	if errors.Is(err, sql.ErrNoRows) {
		return SandboxResource{}, quest.ErrNotFound
	}
	if err != nil {
		return SandboxResource{}, fmt.Errorf("read sandbox %s: %w", kind, err)
	}
	return r, nil
}

// SandboxResources lists the resources f selects, newest first.
func (s *Store) SandboxResources(ctx context.Context, f SandboxResourceFilter) ([]SandboxResource, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt64
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+sandboxResourceColumns+` FROM sandbox_resources
		WHERE account_sid = ? AND kind = ? AND (? = '' OR parent_sid = ?) AND (? = '' OR lookup = ?)
		ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
		f.AccountSID, f.Kind, f.ParentSID, f.ParentSID, f.Lookup, f.Lookup, limit, max(f.Offset, 0))
	if err != nil {
		return nil, fmt.Errorf("list sandbox %s: %w", f.Kind, err)
	}
	defer rows.Close()
	var out []SandboxResource
	for rows.Next() {
		r, err := scanSandboxResource(rows)
		if err != nil {
			return nil, fmt.Errorf("list sandbox %s: %w", f.Kind, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateSandboxResource replaces the data of an existing resource and
// stamps its UpdatedAt (from the store's clock when zero); a missing one
// is quest.ErrNotFound.
func (s *Store) UpdateSandboxResource(ctx context.Context, r SandboxResource) (SandboxResource, error) {
	r.UpdatedAt = s.sandboxStamp(r.UpdatedAt)
	res, err := s.w.ExecContext(ctx, `UPDATE sandbox_resources SET data = ?, lookup = ?, updated_at = ?
		WHERE account_sid = ? AND kind = ? AND sid = ?`, string(r.Data), r.Lookup, r.UpdatedAt, r.AccountSID, r.Kind, r.SID)
	if err != nil {
		return SandboxResource{}, fmt.Errorf("update sandbox %s: %w", r.Kind, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return SandboxResource{}, fmt.Errorf("update sandbox %s: %w", r.Kind, err)
		}
		return SandboxResource{}, quest.ErrNotFound
	}
	return r, nil
}

// DeleteSandboxResource removes the account's resource sid of kind and
// the resources whose parent it is; a missing one is quest.ErrNotFound.
func (s *Store) DeleteSandboxResource(ctx context.Context, accountSID, kind, sid string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sandbox_resources WHERE account_sid = ? AND kind = ? AND sid = ?`,
			accountSID, kind, sid)
		if err != nil {
			return fmt.Errorf("delete sandbox %s: %w", kind, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("delete sandbox %s: %w", kind, err)
			}
			return quest.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sandbox_resources WHERE account_sid = ? AND parent_sid = ?`,
			accountSID, sid); err != nil {
			return fmt.Errorf("delete sandbox %s: %w", kind, err)
		}
		return nil
	})
}
