package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/questgate/questgate/quest"
)

// submissionRowFrom reads submissions "s" with their player "p" and the
// player's cohort "c", in the order scanSubmissionRow scans them.
var submissionRowFrom = `SELECT ` + submissionRowColumns + `
		FROM submissions s JOIN players p ON p.id = s.player_id LEFT JOIN cohorts c ON c.id = p.cohort_id`

// submissionRowColumns are the columns scanSubmissionRow reads.
var submissionRowColumns = prefixed("s.", submissionColumns) + `, p.display_name, COALESCE(p.cohort_id, 0), COALESCE(c.name, '')`

var (
	successReasons  = []quest.Reason{quest.Awarded, quest.AlreadyAwarded}
	upstreamReasons = []quest.Reason{quest.UpstreamRateLimited, quest.UpstreamUnavailable}
)

// filterWhere builds the SQL condition and arguments for f over submissions "s".
// The date bounds only filter a newest-first walk of the table unless
// byDate is set (see narrowDates), when they may drive an index scan.
func filterWhere(f quest.SubmissionFilter, s *Store, byDate bool) (string, []any) {
	return filterSQL(f, s, byDate, true)
}

// filterSQL is filterWhere, and the sets of players (a cohort, an API
// key's players) only filter a walk of the table unless bySet is set, when
// SQLite may read the set's submissions through the player index (and
// sort them all): see ListSubmissions.
func filterSQL(f quest.SubmissionFilter, s *Store, byDate, bySet bool) (string, []any) {
	date := "+s.created_at" // unary plus: SQLite never goes through the created_at index
	if byDate || s.pg {
		// PostgreSQL has no unary plus for times, and its planner weighs
		// the index by the range's statistics anyway.
		date = "s.created_at"
	}
	member := "+s.player_id" // likewise for the player index
	if bySet || s.pg {
		member = "s.player_id"
	}
	conds := []string{"1=1"}
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if f.PlayerID != "" {
		add("s.player_id = ?", f.PlayerID)
	}
	if f.APIKeyID != "" {
		add(member+" IN (SELECT player_id FROM api_players WHERE api_key_id = ?)", f.APIKeyID)
	}
	if f.ObjectiveID != "" {
		add("s.objective_id = ?", f.ObjectiveID)
	}
	if f.Reason != "" {
		add("s.reason = ?", string(f.Reason))
	}
	in := func(rs []quest.Reason) (string, []any) {
		marks := strings.TrimSuffix(strings.Repeat("?,", len(rs)), ",")
		a := make([]any, len(rs))
		for i, r := range rs {
			a[i] = string(r)
		}
		return "(" + marks + ")", a
	}
	switch f.Outcome {
	case quest.OutcomeSuccess:
		m, a := in(successReasons)
		add("s.reason IN "+m, a...)
	case quest.OutcomeUpstream:
		m, a := in(upstreamReasons)
		add("s.reason IN "+m, a...)
	case quest.OutcomeRejected:
		m, a := in(slices.Concat(successReasons, upstreamReasons))
		add("s.reason NOT IN "+m, a...)
	}
	if !f.Since.IsZero() {
		add(date+" >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		add(date+" < ?", f.Until.UTC())
	}
	if f.SID != "" {
		like := escapeLike(f.SID) + "%"
		add(`(s.sid `+s.like()+` ? ESCAPE '\' OR s.raw_sid `+s.like()+` ? ESCAPE '\')`, like, like)
	}
	if f.CohortID != 0 {
		add(member+" IN (SELECT id FROM players WHERE cohort_id = ?)", f.CohortID)
	}
	return strings.Join(conds, " AND "), args
}

// escapeLike makes s match literally in a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListSubmissions returns up to limit submissions matching f, newest first,
// with ids below before (0: from the newest). Keyset pagination: the next
// page starts below the last id returned, so a page costs the same at row
// 10 and at row 100,000, and new submissions never shift pages.
//
// A filter no index reads in id order (see windowed) is read in two
// steps: the newest submissionWindow ids below before first, walked
// newest first, where a cohort of a tenth of the players fills a page
// after 500 rows; then, only when that window held too few, the rest
// through the set's own rows (the player index), sorted. Either step
// costs at most the window or the set's own submissions, never a sort of
// the whole table nor a walk of it.
func (s *Store) ListSubmissions(ctx context.Context, f quest.SubmissionFilter, before int64, limit int) ([]quest.SubmissionRow, error) {
	narrow, err := s.narrowDates(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	var out []quest.SubmissionRow
	if !windowed(f, narrow) {
		out, err = s.listBelow(ctx, f, narrow, false, before, 0, limit)
	} else {
		out, err = s.listWindowed(ctx, f, before, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	return out, nil
}

// listWindowed is ListSubmissions for a windowed filter.
func (s *Store) listWindowed(ctx context.Context, f quest.SubmissionFilter, before int64, limit int) ([]quest.SubmissionRow, error) {
	top := before - 1
	if before <= 0 {
		var err error
		if top, err = s.maxSubmissionID(ctx); err != nil {
			return nil, err
		}
	}
	floor := top - submissionWindow
	out, err := s.listBelow(ctx, f, false, false, top+1, floor+1, limit)
	if err != nil || len(out) >= limit || floor <= 0 {
		return out, err
	}
	rest, err := s.listBelow(ctx, f, false, true, floor+1, 0, limit-len(out))
	return append(out, rest...), err
}

// submissionWindow is how many ids the first step of a windowed listing
// walks (see ListSubmissions): a few milliseconds of SQLite's time at
// worst. A variable so that tests cross it with a few rows.
var submissionWindow int64 = 20000

// windowed reports a filter whose matches no index yields in id order: a
// set of players (a cohort, an API key's) or an outcome of several
// reasons, unless one player or a narrow date range already bounds the
// rows to sort.
func windowed(f quest.SubmissionFilter, narrow bool) bool {
	if f.PlayerID != "" || narrow {
		return false
	}
	return f.CohortID != 0 || f.APIKeyID != "" || f.Outcome == quest.OutcomeSuccess || f.Outcome == quest.OutcomeUpstream
}

// maxSubmissionID is the newest submission's id, 0 when there is none.
func (s *Store) maxSubmissionID(ctx context.Context) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM submissions`).Scan(&id)
	return id, err
}

// listBelow returns up to limit submissions matching f with from <= id <
// below (below 0: no upper bound), newest first; byDate and bySet as in
// filterSQL.
func (s *Store) listBelow(ctx context.Context, f quest.SubmissionFilter, byDate, bySet bool, below, from int64, limit int) ([]quest.SubmissionRow, error) {
	where, args := filterSQL(f, s, byDate, bySet)
	if below > 0 {
		where += " AND s.id < ?"
		args = append(args, below)
	}
	if from > 0 {
		where += " AND s.id >= ?"
		args = append(args, from)
	}
	args = append(args, limit)
	return s.querySubmissionRows(ctx, `
		WHERE `+where+` ORDER BY s.id DESC LIMIT ?`, args)
}

// querySubmissionRows reads the submission rows of submissionRowFrom
// followed by tail.
func (s *Store) querySubmissionRows(ctx context.Context, tail string, args []any) ([]quest.SubmissionRow, error) {
	rows, err := s.r.QueryContext(ctx, submissionRowFrom+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []quest.SubmissionRow
	for rows.Next() {
		r, err := scanSubmissionRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// EachSubmission calls fn for every submission matching f, newest first,
// reading rows as it goes so an export never holds the table in memory:
// the sets of players only filter the walk, which then never sorts.
func (s *Store) EachSubmission(ctx context.Context, f quest.SubmissionFilter, fn func(quest.SubmissionRow) error) error {
	where, args := filterSQL(f, s, false, false)
	rows, err := s.r.QueryContext(ctx, submissionRowFrom+`
		WHERE `+where+` ORDER BY s.id DESC`, args...)
	if err != nil {
		return fmt.Errorf("export submissions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanSubmissionRow(rows)
		if err != nil {
			return fmt.Errorf("export submissions: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func scanSubmissionRow(rows *sql.Rows) (quest.SubmissionRow, error) {
	var r quest.SubmissionRow
	sub, err := scanSubmission(scanFunc(func(dest ...any) error {
		return rows.Scan(append(dest, &r.PlayerName, &r.CohortID, &r.CohortName)...)
	}))
	r.Submission = sub
	return r, err
}

// scanFunc adapts a function to the Scan method scanSubmission wants.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// AnySubmission returns a submission whoever made it, for instructors.
func (s *Store) AnySubmission(ctx context.Context, id int64) (quest.SubmissionRow, error) {
	rows, err := s.r.QueryContext(ctx, submissionRowFrom+` WHERE s.id = ?`, id)
	if err != nil {
		return quest.SubmissionRow{}, fmt.Errorf("read submission: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return quest.SubmissionRow{}, err
		}
		return quest.SubmissionRow{}, quest.ErrNotFound
	}
	return scanSubmissionRow(rows)
}

// Players lists every player, by name then id.
func (s *Store) Players(ctx context.Context) ([]quest.Player, error) { return s.players(ctx, 0) }

// players lists the players of a cohort (every player for 0), by name
// then id.
func (s *Store) players(ctx context.Context, cohortID int64) ([]quest.Player, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, display_name, COALESCE(cohort_id, 0), created_at FROM players
		WHERE ? = 0 OR cohort_id = ? ORDER BY display_name, id`, cohortID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("list players: %w", err)
	}
	defer rows.Close()
	var out []quest.Player
	for rows.Next() {
		var p quest.Player
		if err := rows.Scan(&p.ID, &p.DisplayName, &p.CohortID, &p.CreatedAt); err != nil {
			return nil, fmt.Errorf("list players: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AwardByHand gives a player an objective, recording who and why. It
// answers ErrExists when the player already holds it.
func (s *Store) AwardByHand(ctx context.Context, playerID, objectiveID string, xp int, instructorID int64, reason string) error {
	now := s.now().UTC()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, false, awardKey(objectiveID, playerID)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO awards (player_id, objective_id, sid, xp, submission_id, awarded_by, created_at)
			VALUES (?, ?, NULL, ?, NULL, ?, ?) ON CONFLICT (player_id, objective_id) DO NOTHING`,
			playerID, objectiveID, xp, instructorID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return quest.ErrExists
		}
		if err := enqueueCompleted(ctx, tx, completion{PlayerID: playerID, ObjectiveID: objectiveID, XP: xp,
			Manual: true, At: now}); err != nil {
			return err
		}
		return audit(ctx, tx, playerID, objectiveID, quest.ActionAward, reason, instructorID, now)
	})
	s.cache.forget(playerID)
	if err != nil {
		return fmt.Errorf("award by hand: %w", err)
	}
	return nil
}

// Revoke takes an objective back from a player, recording who and why. It
// answers ErrNotFound when the player does not hold it. The SID that won
// it becomes free to award again.
func (s *Store) Revoke(ctx context.Context, playerID, objectiveID string, instructorID int64, reason string) error {
	now := s.now().UTC()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM awards WHERE player_id = ? AND objective_id = ?`, playerID, objectiveID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return quest.ErrNotFound
		}
		return audit(ctx, tx, playerID, objectiveID, quest.ActionRevoke, reason, instructorID, now)
	})
	s.cache.forget(playerID)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	return nil
}

func audit(ctx context.Context, tx *sql.Tx, playerID, objectiveID, action, reason string, instructorID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (player_id, objective_id, action, reason, instructor_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, playerID, objectiveID, action, reason, instructorID, at)
	return err
}

// AuditLog returns a player's manual award changes, newest first.
func (s *Store) AuditLog(ctx context.Context, playerID string) ([]quest.AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT a.id, a.player_id, a.objective_id, a.action, a.reason,
		COALESCE(i.email, ''), a.created_at
		FROM audit_log a LEFT JOIN instructors i ON i.id = a.instructor_id
		WHERE a.player_id = ? ORDER BY a.id DESC`, playerID)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []quest.AuditEntry
	for rows.Next() {
		var e quest.AuditEntry
		if err := rows.Scan(&e.ID, &e.PlayerID, &e.ObjectiveID, &e.Action, &e.Reason, &e.InstructorEmail, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DeletePlayer erases a player and everything about them: credentials,
// submissions, awards and audit entries. ErrNotFound when there is none.
func (s *Store) DeletePlayer(ctx context.Context, playerID string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM players WHERE id = ?`, playerID)
	if err != nil {
		return fmt.Errorf("delete player: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return quest.ErrNotFound
	}
	return nil
}
