package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/questgate/questgate/quest"
)

// The progress page reads the tables progress (one row per player and
// objective) and progress_players (one per player), which triggers keep
// true as attempts and awards are written (migration 00130): a page costs
// the players in scope, never their attempts.

// stuckAfter is the SQL of the failures in a row that make a player of
// the cohort_events row "e" stuck: their cohort's rule, else the default.
var stuckAfter = "COALESCE(e.stuck_failures, " + strconv.Itoa(quest.DefaultStuckFailures) + ")"

// progressStateSQL is the SQL CASE deciding a player's quest.ProgressState
// from their progress_players row "pp" (NULL for a player with none), for
// a catalog of objectives objectives (the first placeholder).
var progressStateSQL = `CASE
		WHEN COALESCE(pp.done, 0) >= ? THEN '` + string(quest.StateDone) + `'
		WHEN COALESCE(pp.streak, 0) >= ` + stuckAfter + ` THEN '` + string(quest.StateStuck) + `'
		WHEN COALESCE(pp.done, 0) = 0 AND COALESCE(pp.tried, 0) = 0 THEN '` + string(quest.StateNotStarted) + `'
		ELSE '` + string(quest.StateInProgress) + `' END`

// progressPlayers is the players in scope with their state (st) and the
// failures that make them stuck (stuck_after), for progressStateSQL's
// placeholder and the conditions in where.
func progressPlayers(where string) string {
	return `SELECT p.id, p.display_name, COALESCE(p.cohort_id, 0) AS cohort_id, p.created_at, ` + stuckAfter + ` AS stuck_after,
		` + progressStateSQL + ` AS st
		FROM players p LEFT JOIN progress_players pp ON pp.player_id = p.id
		LEFT JOIN cohort_events e ON e.cohort_id = p.cohort_id
		WHERE ` + where
}

// progressWhere builds the conditions on players "p" of q (the state
// aside: it is decided by the query).
func progressWhere(q quest.ProgressQuery, playerID string) (string, []any) {
	conds, args := []string{"1=1"}, []any{}
	if playerID != "" {
		conds, args = append(conds, "p.id = ?"), append(args, playerID)
	}
	if q.CohortID != 0 {
		conds, args = append(conds, "p.cohort_id = ?"), append(args, q.CohortID)
	}
	if name := strings.TrimSpace(q.Name); name != "" {
		conds = append(conds, `LOWER(p.display_name) LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(strings.ToLower(name))+"%")
	}
	return strings.Join(conds, " AND "), args
}

// ProgressPage returns one page of the progress list selected by q (stuck
// players first, then by name and id) and how many players q selects in
// all.
func (s *Store) ProgressPage(ctx context.Context, q quest.ProgressQuery) ([]quest.ProgressRow, int, error) {
	return s.progressPage(ctx, q, "", nil)
}

// ProgressView returns what the progress page shows: the summary of q's
// cohort for the objectives objectiveIDs (as ProgressSummary), one page
// of the players q selects (as ProgressPage, for len(objectiveIDs)
// objectives) and how many it selects in all. The players' counts per
// state are read once for both: without a name, they are the total.
func (s *Store) ProgressView(ctx context.Context, q quest.ProgressQuery, objectiveIDs []string) (quest.ProgressSummary, []quest.ProgressRow, int, error) {
	sum, err := s.ProgressSummary(ctx, q.CohortID, objectiveIDs)
	if err != nil {
		return quest.ProgressSummary{}, nil, 0, err
	}
	q.Objectives = len(objectiveIDs)
	rows, total, err := s.progressPage(ctx, q, "", &stateTally{states: sum.States, players: sum.Players})
	if err != nil {
		return quest.ProgressSummary{}, nil, 0, err
	}
	return sum, rows, total, nil
}

// stateTally is stateCounts' answer: the players per state, and in all.
type stateTally struct {
	states  map[quest.ProgressState]int
	players int
}

// ProgressOf returns one player's row of the progress list, with the
// state it has for a catalog of objectives objectives: what a live view
// sends when they made an attempt. ErrNotFound when there is no such
// player.
func (s *Store) ProgressOf(ctx context.Context, playerID string, objectives int) (quest.ProgressRow, error) {
	rows, _, err := s.progressPage(ctx, quest.ProgressQuery{Objectives: objectives, Limit: 1}, playerID, nil)
	if err != nil {
		return quest.ProgressRow{}, err
	}
	if len(rows) == 0 {
		return quest.ProgressRow{}, quest.ErrNotFound
	}
	return rows[0], nil
}

// progressPage is ProgressPage, or ProgressOf's row of playerID; tally,
// when not nil, is stateCounts' answer for q's cohort, read already.
func (s *Store) progressPage(ctx context.Context, q quest.ProgressQuery, playerID string, tally *stateTally) ([]quest.ProgressRow, int, error) {
	where, args := progressWhere(q, playerID)
	args = append([]any{q.Objectives}, args...)
	outer := "1=1"
	if q.State != "" {
		outer, args = "st = ?", append(args, string(q.State))
	}
	selected := slices.Clone(args)
	args = append(args, string(quest.StateStuck), max(q.Limit, 1), max(q.Offset, 0))
	// No COUNT(*) OVER (): it made the engine keep every row in scope,
	// where the sort for a LIMIT keeps the page's; the total is counted
	// apart (progressTotal).
	rows, err := s.r.QueryContext(ctx, `SELECT id, display_name, cohort_id, created_at, stuck_after, st
		FROM (`+progressPlayers(where)+`) x WHERE `+outer+`
		ORDER BY CASE WHEN st = ? THEN 0 ELSE 1 END, display_name, id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("progress page: %w", err)
	}
	var (
		out   []quest.ProgressRow
		after = map[string]int{}
	)
	for rows.Next() {
		r := quest.ProgressRow{Objectives: map[string]quest.ObjectiveProgress{}}
		var st string
		var stuck int
		if err := rows.Scan(&r.Player.ID, &r.Player.DisplayName, &r.Player.CohortID, &r.Player.CreatedAt, &stuck, &st); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("progress page: %w", err)
		}
		r.State = quest.ProgressState(st)
		after[r.Player.ID] = stuck
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("progress page: %w", err)
	}
	total := q.Offset + len(out)
	if playerID == "" && (len(out) == max(q.Limit, 1) || (len(out) == 0 && q.Offset > 0)) {
		// The page is full, or past the end: how many there are in all
		// is not known from it.
		if total, err = s.progressTotal(ctx, q, where, outer, selected, tally); err != nil {
			return nil, 0, err
		}
	}
	if len(out) == 0 {
		return nil, total, nil
	}
	if err := s.fillProgress(ctx, out, after); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// progressTotal counts the players q selects: without a name, from the
// counts per state (tally, or else stateCounts); with one, by the players
// whose name matches (where and outer, with their arguments args, are
// the page's).
func (s *Store) progressTotal(ctx context.Context, q quest.ProgressQuery, where, outer string, args []any, tally *stateTally) (int, error) {
	if strings.TrimSpace(q.Name) == "" {
		if tally == nil {
			stuck, err := s.stuckRules(ctx)
			if err != nil {
				return 0, err
			}
			tally = &stateTally{}
			if tally.states, tally.players, err = s.stateCounts(ctx, q.CohortID, q.Objectives, stuck); err != nil {
				return 0, fmt.Errorf("progress page: %w", err)
			}
		}
		if q.State != "" {
			return tally.states[q.State], nil
		}
		return tally.players, nil
	}
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+progressPlayers(where)+`) x WHERE `+outer, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("progress page: %w", err)
	}
	return n, nil
}

// fillProgress reads the objectives and awards of the players of a page.
func (s *Store) fillProgress(ctx context.Context, out []quest.ProgressRow, stuckAfter map[string]int) error {
	byID := make(map[string]*quest.ProgressRow, len(out))
	ids := make([]any, len(out))
	for i := range out {
		byID[out[i].Player.ID] = &out[i]
		ids[i] = out[i].Player.ID
	}
	in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
	rows, err := s.r.QueryContext(ctx, `SELECT player_id, objective_id, attempts, failures, last_reason, done
		FROM progress WHERE player_id IN `+in, ids...)
	if err != nil {
		return fmt.Errorf("progress page: %w", err)
	}
	for rows.Next() {
		var pid, oid, reason string
		var op quest.ObjectiveProgress
		var done int
		if err := rows.Scan(&pid, &oid, &op.Attempts, &op.Failures, &reason, &done); err != nil {
			rows.Close()
			return fmt.Errorf("progress page: %w", err)
		}
		op.LastReason = quest.Reason(reason)
		op.Stuck = done == 0 && op.Failures >= stuckAfter[pid]
		byID[pid].Objectives[oid] = op
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("progress page: %w", err)
	}
	rows, err = s.r.QueryContext(ctx, `SELECT player_id, objective_id, COALESCE(sid, ''), xp, COALESCE(submission_id, 0),
		awarded_by IS NOT NULL OR submission_id IS NULL, created_at FROM awards WHERE player_id IN `+in, ids...)
	if err != nil {
		return fmt.Errorf("progress page: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a quest.Award
		if err := rows.Scan(&a.PlayerID, &a.ObjectiveID, &a.SID, &a.XP, &a.SubmissionID, &a.Manual, &a.CreatedAt); err != nil {
			return fmt.Errorf("progress page: %w", err)
		}
		r := byID[a.PlayerID]
		op := r.Objectives[a.ObjectiveID]
		op.Award, op.Stuck = a, false
		r.Objectives[a.ObjectiveID] = op
		r.XP += a.XP
	}
	return rows.Err()
}

// ProgressSummary counts the players of cohortID (everyone for 0) per
// objective of objectiveIDs (done, failing, stuck, not started, and the
// three most common latest failures) and per state, for a catalog of
// len(objectiveIDs) objectives.
func (s *Store) ProgressSummary(ctx context.Context, cohortID int64, objectiveIDs []string) (quest.ProgressSummary, error) {
	sum := quest.ProgressSummary{Stats: make(map[string]quest.ObjectiveStats, len(objectiveIDs)),
		States: map[quest.ProgressState]int{}, At: s.now().UTC()}
	stuck, err := s.stuckRules(ctx)
	if err != nil {
		return sum, err
	}
	if sum.States, sum.Players, err = s.stateCounts(ctx, cohortID, len(objectiveIDs), stuck); err != nil {
		return sum, fmt.Errorf("progress summary: %w", err)
	}
	scope, sargs := "1=1", []any{}
	if cohortID != 0 {
		scope, sargs = "g.cohort_id = ?", []any{cohortID}
	}
	wanted := make(map[string]bool, len(objectiveIDs))
	for _, id := range objectiveIDs {
		wanted[id] = true
	}
	// progress_counts holds the counts the triggers keep (migration
	// 00140): a few thousand rows, whatever the number of players, in the
	// order of its key so that the groups stream.
	rows, err := s.r.QueryContext(ctx, `SELECT g.cohort_id, g.objective_id, g.done, g.failures, g.last_reason, g.tried, SUM(g.n)
		FROM progress_counts g WHERE `+scope+`
		GROUP BY g.cohort_id, g.objective_id, g.done, g.failures, g.last_reason, g.tried HAVING SUM(g.n) <> 0`, sargs...)
	if err != nil {
		return sum, fmt.Errorf("progress summary: %w", err)
	}
	defer rows.Close()
	reasons := map[string]map[quest.Reason]int{}
	for rows.Next() {
		var (
			cohort                   int64
			oid, reason              string
			done, failures, tried, n int
		)
		if err := rows.Scan(&cohort, &oid, &done, &failures, &reason, &tried, &n); err != nil {
			return sum, fmt.Errorf("progress summary: %w", err)
		}
		if !wanted[oid] {
			continue
		}
		st := sum.Stats[oid]
		switch {
		case done != 0:
			st.Done += n
		default:
			if tried != 0 {
				st.Failing += n
			}
			if failures >= ruleOf(stuck, cohort) {
				st.Stuck += n
			}
			if failures > 0 {
				if reasons[oid] == nil {
					reasons[oid] = map[quest.Reason]int{}
				}
				reasons[oid][quest.Reason(reason)] += n
			}
		}
		sum.Stats[oid] = st
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("progress summary: %w", err)
	}
	for _, oid := range objectiveIDs {
		st := sum.Stats[oid]
		st.NotStarted = max(sum.Players-st.Done-st.Failing, 0)
		for r, n := range reasons[oid] {
			st.TopFailures = append(st.TopFailures, quest.ReasonCount{Reason: r, Count: n})
		}
		slices.SortFunc(st.TopFailures, func(a, b quest.ReasonCount) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(string(a.Reason), string(b.Reason))
		})
		st.TopFailures = st.TopFailures[:min(3, len(st.TopFailures))]
		if len(st.TopFailures) == 0 {
			st.TopFailures = nil
		}
		sum.Stats[oid] = st
	}
	return sum, nil
}

// decideState is progressStateSQL in Go, for a player who holds done
// objectives of objectives, tried tried more without holding them, and
// failed streak times in a row on one, in a cohort whose rule is after
// failures: the two must agree (TestProgressStatesAgree).
func decideState(done, tried, streak, objectives, after int) quest.ProgressState {
	switch {
	case done >= objectives:
		return quest.StateDone
	case streak >= after:
		return quest.StateStuck
	case done == 0 && tried == 0:
		return quest.StateNotStarted
	default:
		return quest.StateInProgress
	}
}

// stateCounts counts the players of cohortID (everyone for 0) per state,
// and in all, for a catalog of objectives objectives, from the rows of
// progress_players grouped by what decides a state (a few hundred,
// whatever the number of players) and the players per cohort, read in
// one statement so that both are of the same moment. stuck is
// stuckRules's answer.
func (s *Store) stateCounts(ctx context.Context, cohortID int64, objectives int, stuck map[int64]int) (map[quest.ProgressState]int, int, error) {
	pscope, scope, args := "", "", []any{}
	if cohortID != 0 {
		pscope, scope, args = " WHERE cohort_id = ?", " WHERE pp.cohort_id = ?", []any{cohortID, cohortID}
	}
	// kind 0 is the players of a cohort, kind 1 those of them with a row
	// in progress_players.
	rows, err := s.r.QueryContext(ctx, `SELECT 0, COALESCE(cohort_id, 0), 0, 0, 0, COUNT(*) FROM players`+pscope+`
		GROUP BY cohort_id
		UNION ALL
		SELECT 1, COALESCE(pp.cohort_id, 0), pp.done, pp.tried, pp.streak, COUNT(*) FROM progress_players pp`+scope+`
		GROUP BY pp.cohort_id, pp.done, pp.tried, pp.streak`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("states: %w", err)
	}
	defer rows.Close()
	states := map[quest.ProgressState]int{}
	// without counts the players of each cohort who have no row yet.
	without := map[int64]int{}
	players := 0
	for rows.Next() {
		var kind, done, tried, streak, n int
		var cohort int64
		if err := rows.Scan(&kind, &cohort, &done, &tried, &streak, &n); err != nil {
			return nil, 0, fmt.Errorf("states: %w", err)
		}
		if kind == 0 {
			without[cohort] += n
			players += n
			continue
		}
		without[cohort] -= n
		states[decideState(done, tried, streak, objectives, ruleOf(stuck, cohort))] += n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("states: %w", err)
	}
	for cohort, n := range without {
		if n > 0 {
			states[decideState(0, 0, 0, objectives, ruleOf(stuck, cohort))] += n
		}
	}
	return states, players, nil
}

// ruleOf is the failures in a row that make a player of cohort stuck.
func ruleOf(stuck map[int64]int, cohort int64) int {
	if after, ok := stuck[cohort]; ok {
		return after
	}
	return quest.DefaultStuckFailures
}

// stuckRules returns the failures in a row that make a player stuck, per
// cohort that set its rule.
func (s *Store) stuckRules(ctx context.Context) (map[int64]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT cohort_id, stuck_failures FROM cohort_events`)
	if err != nil {
		return nil, fmt.Errorf("stuck rules: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("stuck rules: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// EachProgress calls fn for every player of cohortID (everyone for 0), by
// name then id, with their attempts and awards per objective (their state
// is left empty), reading rows as it goes so an export never holds the
// players in memory.
func (s *Store) EachProgress(ctx context.Context, cohortID int64, fn func(quest.ProgressRow) error) error {
	where, args := progressWhere(quest.ProgressQuery{CohortID: cohortID}, "")
	rows, err := s.r.QueryContext(ctx, `SELECT p.id, p.display_name, COALESCE(p.cohort_id, 0), p.created_at,
		COALESCE(g.objective_id, ''), COALESCE(g.attempts, 0), COALESCE(g.failures, 0), COALESCE(g.last_reason, ''),
		COALESCE(a.xp, 0), a.created_at, COALESCE(a.awarded_by IS NOT NULL OR a.submission_id IS NULL, false)
		FROM players p LEFT JOIN progress g ON g.player_id = p.id
		LEFT JOIN awards a ON a.player_id = g.player_id AND a.objective_id = g.objective_id
		WHERE `+where+` ORDER BY p.display_name, p.id`, args...)
	if err != nil {
		return fmt.Errorf("export progress: %w", err)
	}
	defer rows.Close()
	var cur quest.ProgressRow
	for rows.Next() {
		var p quest.Player
		var oid, reason string
		var op quest.ObjectiveProgress
		var at sql.NullTime
		if err := rows.Scan(&p.ID, &p.DisplayName, &p.CohortID, &p.CreatedAt, &oid, &op.Attempts, &op.Failures, &reason,
			&op.Award.XP, &at, &op.Award.Manual); err != nil {
			return fmt.Errorf("export progress: %w", err)
		}
		if p.ID != cur.Player.ID {
			if cur.Player.ID != "" {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur = quest.ProgressRow{Player: p, Objectives: map[string]quest.ObjectiveProgress{}}
		}
		if oid == "" {
			continue
		}
		op.LastReason = quest.Reason(reason)
		op.Award.Manual = op.Award.Manual && at.Valid
		if at.Valid {
			op.Award.PlayerID, op.Award.ObjectiveID, op.Award.CreatedAt = p.ID, oid, at.Time
			cur.XP += op.Award.XP
		}
		cur.Objectives[oid] = op
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export progress: %w", err)
	}
	if cur.Player.ID != "" {
		return fn(cur)
	}
	return nil
}

// StuckIn returns who is stuck in cohortID at now under rule, read from
// the progress rows the triggers keep (migration 00140) rather than from
// the cohort's attempts: per player and objective they do not hold, a run
// of at least rule.Failures failures in a row, or failures for
// rule.Minutes minutes with the latest within those minutes (still
// trying). Only runs whose latest attempt is at or after since count: a
// player who gave up days ago is not waiting for help. It returns the
// limit most recent (by latest attempt) and how many there are in all.
func (s *Store) StuckIn(ctx context.Context, cohortID int64, rule quest.StuckRule, since, now time.Time, limit int) ([]quest.Stuck, int, error) {
	var rules []string
	args := []any{cohortID, since.UTC()}
	if rule.Failures > 0 {
		rules, args = append(rules, "g.failures >= ?"), append(args, rule.Failures)
	}
	if rule.Minutes > 0 {
		window := now.Add(-time.Duration(rule.Minutes) * time.Minute).UTC()
		rules, args = append(rules, "(g.last_at >= ? AND g.fail_since <= ?)"), append(args, window, window)
	}
	if len(rules) == 0 {
		return nil, 0, nil
	}
	where := `g.cohort_id = ? AND g.done = 0 AND g.failures > 0 AND g.last_at >= ? AND (` + strings.Join(rules, " OR ") + `)`
	// The partial index progress_failing holds the cohort's failing rows
	// by their latest attempt: the page walks it from the newest and
	// stops at limit; the count reads it alone.
	rows, err := s.r.QueryContext(ctx, `SELECT g.player_id, p.display_name, g.objective_id, g.failures,
		g.fail_since, g.last_reason, g.last_at
		FROM progress g JOIN players p ON p.id = g.player_id
		WHERE `+where+` ORDER BY g.last_at DESC, g.player_id, g.objective_id LIMIT ?`, append(slices.Clone(args), max(limit, 1))...)
	if err != nil {
		return nil, 0, fmt.Errorf("stuck players: %w", err)
	}
	defer rows.Close()
	var out []quest.Stuck
	for rows.Next() {
		var st quest.Stuck
		var reason string
		var from, last sql.NullTime
		if err := rows.Scan(&st.PlayerID, &st.PlayerName, &st.ObjectiveID, &st.Failures, &from, &reason, &last); err != nil {
			return nil, 0, fmt.Errorf("stuck players: %w", err)
		}
		st.LastReason, st.Since, st.LastAt = quest.Reason(reason), from.Time.UTC(), last.Time.UTC()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("stuck players: %w", err)
	}
	total := len(out)
	if total == max(limit, 1) {
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM progress g WHERE `+where, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("stuck players: %w", err)
		}
	}
	return out, total, nil
}
