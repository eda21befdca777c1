package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/questgate/questgate/quest"
)

// CreateInstructor adds an instructor; the email is compared without case.
func (s *Store) CreateInstructor(ctx context.Context, email, passwordHash string) (quest.Instructor, error) {
	in := quest.Instructor{Email: strings.ToLower(strings.TrimSpace(email)), PasswordHash: passwordHash, CreatedAt: s.now().UTC()}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM instructors WHERE email = ?`, in.Email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return quest.ErrExists
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO instructors (email, password_hash, created_at) VALUES (?, ?, ?)
			RETURNING id`, in.Email, in.PasswordHash, in.CreatedAt).Scan(&in.ID)
		if isUnique(err) {
			// Another instance added the same email since the count.
			return quest.ErrExists
		}
		return err
	})
	if err != nil {
		return quest.Instructor{}, fmt.Errorf("create instructor %s: %w", in.Email, err)
	}
	return in, nil
}

// InstructorByEmail finds an instructor for signing in, or ErrNotFound.
func (s *Store) InstructorByEmail(ctx context.Context, email string) (quest.Instructor, error) {
	return s.instructor(ctx, `email = ?`, strings.ToLower(strings.TrimSpace(email)))
}

// Instructor finds an instructor by id, or ErrNotFound.
func (s *Store) Instructor(ctx context.Context, id int64) (quest.Instructor, error) {
	return s.instructor(ctx, `id = ?`, id)
}

func (s *Store) instructor(ctx context.Context, where string, arg any) (quest.Instructor, error) {
	var in quest.Instructor
	err := s.r.QueryRowContext(ctx, `SELECT id, email, password_hash, created_at FROM instructors WHERE `+where, arg).
		Scan(&in.ID, &in.Email, &in.PasswordHash, &in.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return quest.Instructor{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.Instructor{}, fmt.Errorf("read instructor: %w", err)
	}
	return in, nil
}

// Instructors lists every instructor, by email.
func (s *Store) Instructors(ctx context.Context) ([]quest.Instructor, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, email, password_hash, created_at FROM instructors ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list instructors: %w", err)
	}
	defer rows.Close()
	var out []quest.Instructor
	for rows.Next() {
		var in quest.Instructor
		if err := rows.Scan(&in.ID, &in.Email, &in.PasswordHash, &in.CreatedAt); err != nil {
			return nil, fmt.Errorf("list instructors: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// RemoveInstructor deletes an instructor by email, or answers ErrNotFound.
// The audit log keeps their changes, without their name.
func (s *Store) RemoveInstructor(ctx context.Context, email string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM instructors WHERE email = ?`, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return fmt.Errorf("remove instructor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return quest.ErrNotFound
	}
	return nil
}
