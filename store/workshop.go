package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/questgate/questgate/quest"
)

// isForeignKey reports whether err is a foreign key failure (a row that
// names a cohort or player that does not exist), in either database.
func isForeignKey(err error) bool {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	pe, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pe.Code == "23503"
}

// The workshop day's rows (see the migration 00110_workshop): event
// windows, announcements, hint reveals, rosters.

// nullTime is t for a nullable column: NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

const eventColumns = `cohort_id, starts_at, ends_at, time_zone, stuck_failures, stuck_minutes`

func scanEvent(row interface{ Scan(...any) error }) (quest.Event, error) {
	var (
		e          quest.Event
		start, end sql.NullTime
	)
	if err := row.Scan(&e.CohortID, &start, &end, &e.TimeZone, &e.Stuck.Failures, &e.Stuck.Minutes); err != nil {
		return quest.Event{}, err
	}
	e.Start, e.End = start.Time.UTC(), end.Time.UTC()
	if !start.Valid {
		e.Start = time.Time{}
	}
	if !end.Valid {
		e.End = time.Time{}
	}
	return e, nil
}

// CohortEvent returns a cohort's event, quest.DefaultEvent when it set
// none.
func (s *Store) CohortEvent(ctx context.Context, cohortID int64) (quest.Event, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM cohort_events WHERE cohort_id = ?`, cohortID))
	if errors.Is(err, sql.ErrNoRows) {
		return quest.DefaultEvent(cohortID), nil
	}
	if err != nil {
		return quest.Event{}, fmt.Errorf("read event: %w", err)
	}
	return e, nil
}

// PlayerEvent returns the event of a player's cohort (quest.EventStore):
// quest.DefaultEvent(0) for a player in no cohort, or unknown.
func (s *Store) PlayerEvent(ctx context.Context, playerID string) (quest.Event, error) {
	return s.cachedEvent(ctx, playerID, func() (quest.Event, error) { return s.playerEvent(ctx, playerID) })
}

// playerEvent is PlayerEvent from the database.
func (s *Store) playerEvent(ctx context.Context, playerID string) (quest.Event, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, `SELECT e.cohort_id, e.starts_at, e.ends_at, e.time_zone,
		e.stuck_failures, e.stuck_minutes FROM players p JOIN cohort_events e ON e.cohort_id = p.cohort_id WHERE p.id = ?`, playerID))
	if errors.Is(err, sql.ErrNoRows) {
		return quest.DefaultEvent(0), nil
	}
	if err != nil {
		return quest.Event{}, fmt.Errorf("read player's event: %w", err)
	}
	return e, nil
}

// SaveEvent sets a cohort's event, or ErrNotFound for a cohort that does
// not exist.
func (s *Store) SaveEvent(ctx context.Context, e quest.Event) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO cohort_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (cohort_id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at,
		time_zone = excluded.time_zone, stuck_failures = excluded.stuck_failures, stuck_minutes = excluded.stuck_minutes`,
		e.CohortID, nullTime(e.Start), nullTime(e.End), e.TimeZone, e.Stuck.Failures, e.Stuck.Minutes)
	if isForeignKey(err) {
		return quest.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("save event: %w", err)
	}
	return nil
}

// AddAnnouncement stores an announcement, dated now.
func (s *Store) AddAnnouncement(ctx context.Context, a quest.Announcement) (quest.Announcement, error) {
	a.CreatedAt = s.now().UTC()
	var cohort, instructor any
	if a.CohortID != 0 {
		cohort = a.CohortID
	}
	if a.InstructorID != 0 {
		instructor = a.InstructorID
	}
	err := s.w.QueryRowContext(ctx, `INSERT INTO announcements (cohort_id, instructor_id, body, created_at)
		VALUES (?, ?, ?, ?) RETURNING id`, cohort, instructor, a.Body, a.CreatedAt).Scan(&a.ID)
	if isForeignKey(err) {
		return quest.Announcement{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.Announcement{}, fmt.Errorf("add announcement: %w", err)
	}
	return a, nil
}

const announcementQuery = `SELECT a.id, a.cohort_id, COALESCE(c.name, ''), a.instructor_id, COALESCE(i.email, ''),
	a.body, a.created_at FROM announcements a LEFT JOIN cohorts c ON c.id = a.cohort_id
	LEFT JOIN instructors i ON i.id = a.instructor_id `

func (s *Store) announcements(ctx context.Context, where string, args ...any) ([]quest.Announcement, error) {
	rows, err := s.r.QueryContext(ctx, announcementQuery+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list announcements: %w", err)
	}
	defer rows.Close()
	var out []quest.Announcement
	for rows.Next() {
		var (
			a                  quest.Announcement
			cohort, instructor sql.NullInt64
		)
		if err := rows.Scan(&a.ID, &cohort, &a.CohortName, &instructor, &a.InstructorEmail, &a.Body, &a.CreatedAt); err != nil {
			return nil, fmt.Errorf("list announcements: %w", err)
		}
		a.CohortID, a.InstructorID = cohort.Int64, instructor.Int64
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list announcements: %w", err)
	}
	return out, nil
}

// Announcement returns one announcement, or ErrNotFound.
func (s *Store) Announcement(ctx context.Context, id int64) (quest.Announcement, error) {
	list, err := s.announcements(ctx, `WHERE a.id = ?`, id)
	if err != nil {
		return quest.Announcement{}, err
	}
	if len(list) == 0 {
		return quest.Announcement{}, quest.ErrNotFound
	}
	return list[0], nil
}

// AnnouncementsFor returns what the players of a cohort (0: of none) are
// told: the cohort's announcements and those to everyone, newest first,
// at most limit.
func (s *Store) AnnouncementsFor(ctx context.Context, cohortID int64, limit int) ([]quest.Announcement, error) {
	return s.announcements(ctx, `WHERE a.cohort_id IS NULL OR a.cohort_id = ? ORDER BY a.id DESC LIMIT ?`, cohortID, limit)
}

// AllAnnouncements returns every cohort's announcements, newest first, at
// most limit; with cohortID set, that cohort's and those to everyone.
func (s *Store) AllAnnouncements(ctx context.Context, cohortID int64, limit int) ([]quest.Announcement, error) {
	if cohortID != 0 {
		return s.AnnouncementsFor(ctx, cohortID, limit)
	}
	return s.announcements(ctx, `ORDER BY a.id DESC LIMIT ?`, limit)
}

// RevealHint records that a player revealed hint r.Stage of an objective,
// dated now, and returns the reveal as stored. Hints go in order: asking
// for a stage past the next one is quest.ErrHintOrder; asking again for
// one already revealed returns it unchanged.
func (s *Store) RevealHint(ctx context.Context, r quest.HintReveal) (quest.HintReveal, error) {
	r.CreatedAt = s.now().UTC()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, false, "hint:"+r.PlayerID+":"+r.ObjectiveID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hint_reveals WHERE player_id = ? AND objective_id = ?`,
			r.PlayerID, r.ObjectiveID).Scan(&n); err != nil {
			return err
		}
		switch {
		case r.Stage <= n:
			return tx.QueryRowContext(ctx, `SELECT cost, created_at FROM hint_reveals WHERE player_id = ? AND objective_id = ? AND stage = ?`,
				r.PlayerID, r.ObjectiveID, r.Stage).Scan(&r.Cost, &r.CreatedAt)
		case r.Stage != n+1:
			return quest.ErrHintOrder
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hint_reveals (player_id, objective_id, stage, cost, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.PlayerID, r.ObjectiveID, r.Stage, r.Cost, r.CreatedAt)
		return err
	})
	s.cache.forget(r.PlayerID)
	if errors.Is(err, quest.ErrHintOrder) {
		return quest.HintReveal{}, err
	}
	if isForeignKey(err) {
		return quest.HintReveal{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.HintReveal{}, fmt.Errorf("reveal hint: %w", err)
	}
	return r, nil
}

// HintReveals returns the hints revealed, by one player when playerID is
// set, on one objective when objectiveID is, in the order they were
// taken; at most 5,000.
//
// One player's reveals on one objective are what the objective's page
// shows, and their costs are that player's HintCost there: the player
// cache keeps the sum, so that the HACK which follows the page does not
// read it again.
func (s *Store) HintReveals(ctx context.Context, playerID, objectiveID string) ([]quest.HintReveal, error) {
	list, err := s.hintReveals(ctx, playerID, objectiveID)
	if err != nil || playerID == "" || objectiveID == "" {
		return list, err
	}
	cost := 0
	for _, h := range list {
		cost += h.Cost
	}
	// Kept unless the cache holds the cost already at this version.
	_, _ = s.cachedHintCost(ctx, playerID, objectiveID, func() (int, error) { return cost, nil })
	return list, nil
}

// hintReveals is HintReveals from the database.
func (s *Store) hintReveals(ctx context.Context, playerID, objectiveID string) ([]quest.HintReveal, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT h.player_id, p.display_name, h.objective_id, h.stage, h.cost, h.created_at
		FROM hint_reveals h JOIN players p ON p.id = h.player_id
		WHERE (? = '' OR h.player_id = ?) AND (? = '' OR h.objective_id = ?)
		ORDER BY h.created_at, h.objective_id, h.stage LIMIT 5000`, playerID, playerID, objectiveID, objectiveID)
	if err != nil {
		return nil, fmt.Errorf("list hint reveals: %w", err)
	}
	defer rows.Close()
	var out []quest.HintReveal
	for rows.Next() {
		var h quest.HintReveal
		if err := rows.Scan(&h.PlayerID, &h.PlayerName, &h.ObjectiveID, &h.Stage, &h.Cost, &h.CreatedAt); err != nil {
			return nil, fmt.Errorf("list hint reveals: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list hint reveals: %w", err)
	}
	return out, nil
}

// ImportRoster adds lines to a cohort's roster, each with a fresh token,
// in one transaction: a line whose name and e-mail the roster has
// already keeps its token, so importing the same file twice gives the
// same links. It returns every line given, with its token, in order.
func (s *Store) ImportRoster(ctx context.Context, cohortID int64, lines []quest.RosterLine) ([]quest.RosterLine, error) {
	out := make([]quest.RosterLine, len(lines))
	now := s.now().UTC()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i, l := range lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO roster (cohort_id, name, email, token, created_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (cohort_id, name, email) DO NOTHING`, cohortID, l.Name, l.Email, quest.NewRosterToken(), now); err != nil {
				return err
			}
			var player sql.NullString
			l.CohortID = cohortID
			if err := tx.QueryRowContext(ctx, `SELECT token, player_id FROM roster WHERE cohort_id = ? AND name = ? AND email = ?`,
				cohortID, l.Name, l.Email).Scan(&l.Token, &player); err != nil {
				return err
			}
			l.PlayerID = player.String
			out[i] = l
		}
		return nil
	})
	if isForeignKey(err) {
		return nil, quest.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("import roster: %w", err)
	}
	return out, nil
}

// RosterLine returns the roster line of a personal join token, or
// ErrNotFound.
func (s *Store) RosterLine(ctx context.Context, token string) (quest.RosterLine, error) {
	var (
		l      quest.RosterLine
		player sql.NullString
	)
	err := s.r.QueryRowContext(ctx, `SELECT cohort_id, name, email, token, player_id FROM roster WHERE token = ?`, token).
		Scan(&l.CohortID, &l.Name, &l.Email, &l.Token, &player)
	if errors.Is(err, sql.ErrNoRows) {
		return quest.RosterLine{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.RosterLine{}, fmt.Errorf("read roster line: %w", err)
	}
	l.PlayerID = player.String
	return l, nil
}

// ClaimRosterLine notes the player who first used a personal join link.
func (s *Store) ClaimRosterLine(ctx context.Context, token, playerID string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE roster SET player_id = ? WHERE token = ? AND player_id IS NULL`, playerID, token)
	if err != nil {
		return fmt.Errorf("claim roster line: %w", err)
	}
	return nil
}

// HintCost sums the costs of the hints a player revealed on an objective
// (quest.HintStore).
//
// A HACK's request that read its player is answered from the store's
// cache at the player's version, which revealing a hint moves on.
func (s *Store) HintCost(ctx context.Context, playerID, objectiveID string) (int, error) {
	return s.cachedHintCost(ctx, playerID, objectiveID, func() (int, error) {
		var n int
		err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(cost), 0) FROM hint_reveals WHERE player_id = ? AND objective_id = ?`,
			playerID, objectiveID).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("sum hint costs: %w", err)
		}
		return n, nil
	})
}
