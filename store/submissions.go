package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/questgate/questgate/quest"
)

// RecordAttempt stores a submission. When grant is non-nil the verifier has
// passed it, and the award is attempted in the same transaction; the
// recorded reason then says what happened: awarded, already_awarded (the
// player already holds the objective), sid_already_used (another player
// was awarded with this SID) or sid_used_for_another_objective (this
// player won another objective with it, one not in
// grant.SharesProofWith). The uniqueness rules are database constraints,
// or checks under a lock in the same transaction, so two concurrent
// attempts can never both award.
//
// RawSID and SID are kept to MaxPasteLen bytes, here and in the returned
// submission.
func (s *Store) RecordAttempt(ctx context.Context, sub quest.Submission, grant *quest.Award) (quest.Submission, error) {
	return s.recordAttempt(ctx, sub, grant, nil)
}

// RecordAttemptRefunding records an attempt as RecordAttempt does and,
// when the recorded reason does not spend the failure budget
// (quest.Reason.SpendsBudget), gives refund's failure back in the same
// transaction (quest.RefundingStore): on PostgreSQL in the submission's
// own INSERT, so that a passing attempt's refund costs no round trip nor
// commit of its own. refund.Budget must be one of this store's
// (KeepsBudget).
func (s *Store) RecordAttemptRefunding(ctx context.Context, sub quest.Submission, grant *quest.Award, refund quest.Refund) (quest.Submission, error) {
	r, err := s.refundOf(refund)
	if err != nil {
		return quest.Submission{}, fmt.Errorf("record attempt: %w", err)
	}
	return s.recordAttempt(ctx, sub, grant, r)
}

// recordAttempt is RecordAttempt with an optional refund.
func (s *Store) recordAttempt(ctx context.Context, sub quest.Submission, grant *quest.Award, r *refund) (quest.Submission, error) {
	sub.CreatedAt = s.now().UTC()
	sub.RawSID, sub.SID = quest.ClipPaste(sub.RawSID), quest.ClipPaste(sub.SID)
	if grant != nil {
		sub.Reason = quest.Awarded
	}
	var err error
	switch {
	case s.pg && !s.groupOnPostgres && grant == nil:
		// An attempt that awards nothing is one statement on PostgreSQL
		// (its refund rides in its WITH, its triggers in its implicit
		// transaction), so it runs alone: no BEGIN and COMMIT round trips
		// around it, two of a repeat's six.
		var with string
		var args []any
		if with, args, err = s.refundWith(ctx, s.w, r.due(sub.Reason)); err == nil {
			sub.ID, err = s.insertListing(ctx, with, args, sub, quest.RecentAttemptsOf(ctx))
		}
	case s.pg && !s.groupOnPostgres:
		// An award on PostgreSQL: three round trips.
		err = s.recordAwardPipelined(ctx, &sub, grant, r)
	default:
		in := sub
		err = s.grouped(ctx, func(tx *sql.Tx) error {
			sub = in
			with, args, err := s.checkThenRefund(ctx, tx, &sub, grant, r)
			if err != nil {
				return err
			}
			if sub.ID, err = insertSubmissionWith(ctx, tx, with, args, sub); err != nil {
				return err
			}
			if sub.Reason != quest.Awarded {
				return nil
			}
			return s.insertAward(ctx, tx, sub, grant)
		})
	}
	if err != nil {
		return quest.Submission{}, fmt.Errorf("record attempt: %w", err)
	}
	if sub.Reason == quest.Awarded {
		s.cache.forget(sub.PlayerID)
	}
	return sub, nil
}

// checkThenRefund is what an attempt's transaction does before writing
// it: the award's check when the verifier passed it (grant), which may
// change its reason, then the refund its reason is due (refundWith),
// whose WITH clause and arguments the write begins with.
func (s *Store) checkThenRefund(ctx context.Context, tx *sql.Tx, sub *quest.Submission, grant *quest.Award, r *refund) (string, []any, error) {
	if grant != nil {
		if err := s.checkAward(ctx, tx, sub, grant.SharesProofWith); err != nil {
			return "", nil, err
		}
	}
	return s.refundWith(ctx, tx, r.due(sub.Reason))
}

// checkAward sets sub.Reason to already_awarded when the player holds the
// objective, sid_already_used when another player won it with this SID,
// or sid_used_for_another_objective, with sub.Detail naming that
// objective, when the player already won another objective with sub.SID,
// one not in shares.
//
// It first locks, until tx ends, what each answer depends on, in one
// statement (on PostgreSQL; SQLite has one writer): the player's award of
// the objective (already_awarded; an award by hand takes it too), and
// with a SID the player's proofs (sid_used_for_another_objective) and the
// SID at the objective (sid_already_used), always in that order, so that
// two attempts never wait on each other in a circle. A concurrent award
// that could change an answer, from this instance or another, is either
// committed before the check reads the table or waits for tx, so the
// answer stays true until the award is inserted. (The constraints would
// refuse a second award anyway, but as an error rather than an answer.)
// The locks are no wider than the answers: an objective-wide lock, held
// until the commit's flush, made every award of an objective wait for
// the one before, which capped PostgreSQL's fresh HACKs at one commit at
// a time (docs/performance.md). Both checks are then one query: an award
// costs two round trips before its inserts, not four (and on PostgreSQL,
// outside a group commit, one with its BEGIN: recordAwardPipelined, which
// decides with the same awardLocks, awardCheck and decideAward).
func (s *Store) checkAward(ctx context.Context, tx *sql.Tx, sub *quest.Submission, shares []string) error {
	if err := s.lock(ctx, tx, false, awardLocks(*sub)...); err != nil {
		return err
	}
	q, args := awardCheck(*sub, shares)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("check awards: %w", err)
	}
	defer rows.Close()
	if err := decideAward(sub, rows); err != nil {
		return err
	}
	return rows.Close()
}

// awardLocks are the keys checkAward locks for sub, in their order.
func awardLocks(sub quest.Submission) []string {
	keys := []string{awardKey(sub.ObjectiveID, sub.PlayerID)}
	if sub.SID != "" {
		keys = append(keys, "proof:"+sub.PlayerID, "sid:"+sub.ObjectiveID+"/"+sub.SID)
	}
	return keys
}

// awardCheck is checkAward's query: at most two rows (kind, value), a
// holder of the objective (1, the player) before a reuse of the proof
// (2, the objective it won), which decideAward reads.
func awardCheck(sub quest.Submission, shares []string) (string, []any) {
	q := `SELECT 1, player_id FROM (SELECT player_id FROM awards
			WHERE (player_id = ? AND objective_id = ?) OR (objective_id = ? AND sid = ?)
			ORDER BY player_id = ? DESC LIMIT 1) holder`
	args := []any{sub.PlayerID, sub.ObjectiveID, sub.ObjectiveID, sub.SID, sub.PlayerID}
	if sub.SID != "" {
		q += ` UNION ALL SELECT 2, objective_id FROM (SELECT objective_id, created_at FROM awards
			WHERE player_id = ? AND sid = ? AND objective_id <> ?`
		args = append(args, sub.PlayerID, sub.SID, sub.ObjectiveID)
		if len(shares) > 0 {
			q += ` AND objective_id NOT IN (?` + strings.Repeat(", ?", len(shares)-1) + `)`
			for _, id := range shares {
				args = append(args, id)
			}
		}
		q += ` ORDER BY created_at LIMIT 1) reuse`
	}
	return q + ` ORDER BY 1`, args
}

// rowReader is what decideAward reads: database/sql's rows, or pgx's.
type rowReader interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// decideAward sets sub's reason (and detail) from awardCheck's rows: the
// first row decides, and no row leaves sub awarded.
func decideAward(sub *quest.Submission, rows rowReader) error {
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("check awards: %w", err)
		}
		return nil
	}
	var kind int
	var v string
	if err := rows.Scan(&kind, &v); err != nil {
		return fmt.Errorf("check awards: %w", err)
	}
	switch {
	case kind == 1 && v == sub.PlayerID:
		sub.Reason = quest.AlreadyAwarded
	case kind == 1:
		sub.Reason = quest.SIDAlreadyUsed
	default:
		sub.Reason, sub.Detail = quest.SIDUsedForAnotherObjective, v
	}
	return nil
}

// insertAward records the award of a submission, with its items, and
// its webhook events (enqueueCompleted). On PostgreSQL the award's INSERT
// rides, as a data-modifying WITH, on the read of the webhook endpoints:
// an award costs one round trip there, not two.
func (s *Store) insertAward(ctx context.Context, tx *sql.Tx, sub quest.Submission, grant *quest.Award) error {
	q, args := awardInsert(sub, grant, "?", sub.ID)
	c := completionOf(sub, grant)
	if s.pg {
		if err := enqueueCompletedWith(ctx, tx, "WITH award AS ("+q+") ", args, c); err != nil {
			return fmt.Errorf("award: %w", err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("award: %w", err)
	}
	return enqueueCompleted(ctx, tx, c)
}

// awardInsert is the INSERT of sub's award, whose submission id is the
// expression id (taking idArgs): "?" and the id, or on PostgreSQL a
// subquery of the statement that inserts the submission.
func awardInsert(sub quest.Submission, grant *quest.Award, id string, idArgs ...any) (string, []any) {
	args := append([]any{sub.PlayerID, sub.ObjectiveID, sub.SID, grant.XP}, idArgs...)
	return `INSERT INTO awards (player_id, objective_id, sid, xp, submission_id, created_at, items)
		VALUES (?, ?, ?, ?, ` + id + `, ?, ?)`, append(args, sub.CreatedAt, strings.Join(grant.Items, " "))
}

// completionOf is the webhook event of sub's award.
func completionOf(sub quest.Submission, grant *quest.Award) completion {
	return completion{PlayerID: sub.PlayerID, ObjectiveID: sub.ObjectiveID, SID: sub.SID,
		XP: grant.XP, Items: grant.Items, SubmissionID: sub.ID, At: sub.CreatedAt}
}

// insertSubmission inserts sub and returns its id.
func insertSubmission(ctx context.Context, tx *sql.Tx, sub quest.Submission) (int64, error) {
	return insertSubmissionWith(ctx, tx, "", nil, sub)
}

// insertSubmissionWith inserts sub after a WITH clause of its own
// (refundWith's, taking args), and returns its id. tx is the attempt's
// transaction, or on PostgreSQL the pool for an attempt that is this
// statement alone.
func insertSubmissionWith(ctx context.Context, tx execer, with string, args []any, sub quest.Submission) (int64, error) {
	q, subArgs := submissionInsert(sub)
	var id int64
	if err := tx.QueryRowContext(ctx, with+q+` RETURNING id`, append(args, subArgs...)...).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert submission: %w", err)
	}
	return id, nil
}

// insertListing writes, on PostgreSQL, an attempt that awards nothing as
// one statement (with, args: its refund's WITH, as refundWith returns
// it) and returns its id. When its request lists the player's latest
// attempts (recent, non-nil), the same statement reads them and keeps
// them in recent: the new row from the INSERT's RETURNING, the older
// ones from the table, which the statement's snapshot holds without the
// new row. The new row has the highest id of them: every row the
// snapshot holds took its id before it committed, before the snapshot,
// before this INSERT took its own.
func (s *Store) insertListing(ctx context.Context, with string, args []any, sub quest.Submission, recent *quest.RecentAttempts) (int64, error) {
	n := recent.Limit()
	if n == 0 {
		return insertSubmissionWith(ctx, s.w, with, args, sub)
	}
	if with == "" {
		with = "WITH "
	} else {
		with += ", "
	}
	iq, iargs := submissionInsert(sub)
	lq, largs := recentSQL(true, sub.PlayerID, sub.ObjectiveID, n-1)
	q := with + "new AS (" + iq + " RETURNING " + recentColumns + ")" +
		" SELECT * FROM (SELECT " + recentColumns + " FROM new UNION ALL (" + lq + ")) l ORDER BY id DESC"
	args = append(append(args, iargs...), largs...)
	rows, err := s.w.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("insert submission: %w", err)
	}
	defer rows.Close()
	list, err := scanRecent(rows, sub.PlayerID, sub.ObjectiveID, n)
	if err != nil {
		return 0, fmt.Errorf("insert submission: %w", err)
	}
	if len(list) == 0 {
		return 0, errors.New("insert submission: no row returned")
	}
	recent.Keep(sub.PlayerID, sub.ObjectiveID, list)
	return list[0].ID, nil
}

// submissionInsert is the INSERT of sub, without its RETURNING.
func submissionInsert(sub quest.Submission) (string, []any) {
	m, p := proofOf(sub.Message)
	return `INSERT INTO submissions (player_id, objective_id, raw_sid, sid, reason,
		msg_status, msg_direction, msg_to, msg_from, msg_body, msg_num_media, msg_date_created, upstream_ms, ip, created_at,
		detail, request_id, account_sid, account_kind, msg_duration_s, msg_media)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[]any{sub.PlayerID, sub.ObjectiveID, sub.RawSID, sub.SID, string(sub.Reason),
			m.Status, m.Direction, m.To, m.From, m.Body, m.NumMedia, p.created, sub.Upstream.Milliseconds(), sub.IP, sub.CreatedAt,
			sub.Detail, sub.RequestID, sub.AccountSID, sub.AccountKind, p.duration, p.media}
}

// proof is how a message's optional facts are written: NULL when absent.
type proof struct {
	created, duration, media any
}

// proofOf returns the message to write (zero when nil) and its optional
// columns. Media are written only when valid, at most quest.MaxMedia.
func proofOf(msg *quest.Message) (quest.Message, proof) {
	var p proof
	if msg == nil {
		return quest.Message{}, p
	}
	m := *msg
	if !m.DateCreated.IsZero() {
		p.created = m.DateCreated.UTC()
	}
	if m.Duration != nil {
		p.duration = int64(*m.Duration / time.Second)
	}
	if media := quest.KeepMedia(m.Media); len(media) > 0 {
		pairs := make([]string, len(media))
		for i, x := range media {
			pairs[i] = x.SID + " " + x.ContentType
		}
		p.media = strings.Join(pairs, " ")
	}
	return m, p
}

// readMedia reads msg_media back, keeping only valid pairs.
func readMedia(s string) []quest.Media {
	f := strings.Fields(s)
	var list []quest.Media
	for i := 0; i+1 < len(f); i += 2 {
		list = append(list, quest.Media{SID: f[i], ContentType: f[i+1]})
	}
	return quest.KeepMedia(list)
}

const submissionColumns = `id, player_id, objective_id, raw_sid, sid, reason, msg_status, msg_direction,
	msg_to, msg_from, msg_body, msg_num_media, msg_date_created, upstream_ms, ip, created_at,
	detail, request_id, account_sid, account_kind, msg_duration_s, msg_media`

func scanSubmission(row interface{ Scan(...any) error }) (quest.Submission, error) {
	var (
		sub     quest.Submission
		m       quest.Message
		created sql.NullTime
		ms      int64
		reason  string
		secs    sql.NullInt64
		media   sql.NullString
	)
	err := row.Scan(&sub.ID, &sub.PlayerID, &sub.ObjectiveID, &sub.RawSID, &sub.SID, &reason,
		&m.Status, &m.Direction, &m.To, &m.From, &m.Body, &m.NumMedia, &created, &ms, &sub.IP, &sub.CreatedAt,
		&sub.Detail, &sub.RequestID, &sub.AccountSID, &sub.AccountKind, &secs, &media)
	if err != nil {
		return quest.Submission{}, err
	}
	sub.Reason = quest.Reason(reason)
	sub.Upstream = time.Duration(ms) * time.Millisecond
	if m.Status != "" || m.Body != "" || created.Valid {
		m.SID = sub.SID
		m.DateCreated = created.Time
		if secs.Valid {
			d := time.Duration(secs.Int64) * time.Second
			m.Duration = &d
		}
		m.Media = readMedia(media.String)
		sub.Message = &m
	}
	return sub, nil
}

// Submission returns one of a player's submissions; another player's id
// is ErrNotFound, so nobody reads what is not theirs.
func (s *Store) Submission(ctx context.Context, playerID string, id int64) (quest.Submission, error) {
	sub, err := scanSubmission(s.r.QueryRowContext(ctx,
		`SELECT `+submissionColumns+` FROM submissions WHERE id = ? AND player_id = ?`, id, playerID))
	if errors.Is(err, sql.ErrNoRows) {
		return quest.Submission{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.Submission{}, fmt.Errorf("read submission: %w", err)
	}
	return sub, nil
}

// RecentSubmissions returns a player's latest attempts at an objective,
// newest first, for the hack panel's list: each holds its id, paste, SID,
// reason, detail and time only (Submission has the rest). Every HACK answer reads
// it, so it reads no more than the list shows; and a HACK whose record
// kept it already (quest.WithRecentAttempts) does not read it again.
func (s *Store) RecentSubmissions(ctx context.Context, playerID, objectiveID string, limit int) ([]quest.Submission, error) {
	if list, ok := quest.RecentAttemptsOf(ctx).Take(playerID, objectiveID, limit); ok {
		return list, nil
	}
	q, args := recentSQL(s.pg, playerID, objectiveID, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	defer rows.Close()
	return scanRecent(rows, playerID, objectiveID, limit)
}

// recentColumns are the columns of the hack panel's list, in
// scanRecent's order.
const recentColumns = `id, raw_sid, sid, reason, detail, created_at`

// recentSQL is the query of a player's latest limit attempts at an
// objective, newest first.
func recentSQL(pg bool, playerID, objectiveID string, limit int) (string, []any) {
	const columns = `SELECT ` + recentColumns + ` FROM submissions`
	if pg {
		// PostgreSQL plans this statement once per connection. While the
		// table is new (an event's first minute, before autovacuum's
		// first ANALYZE) the objective's index (objective_id, id) costs
		// the same as the player's and may be picked: it walks back
		// through every attempt at the objective, filtering on the
		// player, and stays the plan until the next ANALYZE. Bounds on
		// the player's index's whole key, in its order, leave it the
		// only index that serves the query.
		return columns + ` WHERE (player_id, objective_id, id) >= (?, ?, 0) AND (player_id, objective_id, id) <= (?, ?, 9223372036854775807)
			ORDER BY player_id DESC, objective_id DESC, id DESC LIMIT ?`,
			[]any{playerID, objectiveID, playerID, objectiveID, limit}
	}
	return columns + ` WHERE player_id = ? AND objective_id = ? ORDER BY id DESC LIMIT ?`,
		[]any{playerID, objectiveID, limit}
}

// scanRecent reads recentSQL's rows (database/sql's or pgx's; limit is
// the query's, for the slice's room). It reads them to their end, so
// that an error the statement sends after its rows (an attempt's
// trigger failing at the statement's end) is returned, not dropped.
func scanRecent(rows rowReader, playerID, objectiveID string, limit int) ([]quest.Submission, error) {
	out := make([]quest.Submission, 0, limit)
	for rows.Next() {
		sub := quest.Submission{PlayerID: playerID, ObjectiveID: objectiveID}
		var reason string
		if err := rows.Scan(&sub.ID, &sub.RawSID, &sub.SID, &reason, &sub.Detail, &sub.CreatedAt); err != nil {
			return nil, fmt.Errorf("list submissions: %w", err)
		}
		sub.Reason = quest.Reason(reason)
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	return out, nil
}

// Attempts returns how many attempts a player made at each objective they
// tried, in one query whatever the number of objectives: the home page
// shows every objective's state from it and Awards.
func (s *Store) Attempts(ctx context.Context, playerID string) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT objective_id, COUNT(*) FROM submissions WHERE player_id = ? GROUP BY objective_id`, playerID)
	if err != nil {
		return nil, fmt.Errorf("count attempts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			id string
			n  int
		)
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count attempts: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// Awards returns the objectives a player holds, keyed by objective id.
func (s *Store) Awards(ctx context.Context, playerID string) (map[string]quest.Award, error) {
	return s.cachedAwards(ctx, playerID, func() (map[string]quest.Award, error) { return s.awards(ctx, playerID) })
}

// awards is Awards from the database.
func (s *Store) awards(ctx context.Context, playerID string) (map[string]quest.Award, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT objective_id, COALESCE(sid, ''), xp, COALESCE(submission_id, 0),
		awarded_by IS NOT NULL OR submission_id IS NULL, created_at, items
		FROM awards WHERE player_id = ?`, playerID)
	if err != nil {
		return nil, fmt.Errorf("list awards: %w", err)
	}
	defer rows.Close()
	out := map[string]quest.Award{}
	for rows.Next() {
		a := quest.Award{PlayerID: playerID}
		var items string
		if err := rows.Scan(&a.ObjectiveID, &a.SID, &a.XP, &a.SubmissionID, &a.Manual, &a.CreatedAt, &items); err != nil {
			return nil, fmt.Errorf("list awards: %w", err)
		}
		a.Items = strings.Fields(items)
		out[a.ObjectiveID] = a
	}
	return out, rows.Err()
}

// AwardedSubmission returns the submission that awarded objectiveID with sid,
// whoever holds it, or ErrNotFound. It lets a repeat be answered from the
// database without asking Twilio again.
func (s *Store) AwardedSubmission(ctx context.Context, objectiveID, sid string) (quest.Submission, error) {
	return s.cachedAwarded(ctx, objectiveID, sid, func() (quest.Submission, error) { return s.awardedSubmission(ctx, objectiveID, sid) })
}

// awardedSubmission is AwardedSubmission from the database.
func (s *Store) awardedSubmission(ctx context.Context, objectiveID, sid string) (quest.Submission, error) {
	sub, err := scanSubmission(s.r.QueryRowContext(ctx, `SELECT `+prefixed("s.", submissionColumns)+`
		FROM awards a JOIN submissions s ON s.id = a.submission_id
		WHERE a.objective_id = ? AND a.sid = ?`, objectiveID, sid))
	if errors.Is(err, sql.ErrNoRows) {
		return quest.Submission{}, quest.ErrNotFound
	}
	if err != nil {
		return quest.Submission{}, fmt.Errorf("read award: %w", err)
	}
	return sub, nil
}

// execer is what an attempt's statements run on: its transaction, or the
// pool when the attempt is one statement.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// awardKey is the lock of one player's award of one objective, which
// checkAward and AwardByHand take before they look for it.
func awardKey(objectiveID, playerID string) string {
	return "award:" + objectiveID + "/" + playerID
}
