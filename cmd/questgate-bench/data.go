package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/questgate/questgate/quest"
)

// The data scenario's fixed shape: 20 objectives (the embedded ones plus
// message objectives of the bench's own, loaded with --objectives), one
// award in every awardEvery attempts (4%), and the instructor who signs in.
const (
	dataObjectives   = 20
	awardEvery       = 25
	instructorEmail  = "bench@example.org"
	instructorSecret = "questgate-bench-instructor"
	seedBatchRows    = 500   // rows per INSERT statement
	seedTxRows       = 50000 // rows per transaction on SQLite
	// seedTxRowsPostgres is the rows per transaction on PostgreSQL: one
	// statement's. There an event writes each attempt in a transaction of
	// its own, and the progress triggers' row versions (two counts moved
	// per attempt) are pruned from their pages once it commits; in a
	// transaction of 50,000 attempts none can be, and progress_counts'
	// few thousand rows came out spread over some 17,000 pages (with
	// autovacuum off, as on the bench's server) that every read of the
	// counts walked.
	seedTxRowsPostgres = seedBatchRows
	// The PostgreSQL seeding vacuums the progress tables as autovacuum
	// would have during the event it packs into minutes: autovacuum
	// vacuums a table once its dead rows pass a threshold (5,000 for
	// progress_counts, migration 00140; 50 + a fifth of the rows for the
	// others), and the attempts behind it add about two dead count rows,
	// one dead progress_players row and one dead progress row each. The
	// bench's PostgreSQL runs without autovacuum: without these vacuums
	// every non-HOT update (progress_players' streak and progress's
	// state are indexed) leaves a dead row whose space nothing reuses,
	// and a read of 10,000 players' rows walks a thousand pages, each a
	// page fault in a backend that has not touched it yet (the first
	// request after a restart took 200 ms).
	seedVacuumSmallEvery = 2500  // progress_counts and progress_players
	seedVacuumLargeEvery = 40000 // progress, 200,000 rows at the defaults
)

// rejections are the reasons of the seeded attempts that won nothing.
var rejections = []quest.Reason{quest.NotFound, quest.WrongDirection, quest.InvalidSID, quest.SampleBody,
	quest.BadCredentials, quest.FailedStatus, quest.SIDAlreadyUsed}

// data: a big event's data, seeded straight into a fresh database, then
// the instructor's pages and the API's list timed against the server, one
// request at a time, and the cost of recording one attempt at 0 rows and
// at the seeded size.
func (b *bench) data(ctx context.Context, t target, transport http.RoundTripper) (*table, error) {
	be, err := newBackend(ctx, b.bin, filepath.Join(b.dir, "data"), t.pgURL, t.label)
	if err != nil {
		return nil, err
	}
	defer be.close() // on the error paths; the end closes it too, reporting
	catalogFile, objectives, err := writeObjectives(be.dir)
	if err != nil {
		return nil, err
	}
	args := append(serverArgs(be.dir, b.up.base, b.cfg), "--objectives", catalogFile)
	if err := be.start(ctx, 1, args); err != nil {
		return nil, err
	}
	b.be = be
	key, err := be.createAPIKey(ctx, "")
	if err != nil {
		return nil, err
	}
	if _, err := be.command(ctx, instructorSecret+"\n", "instructor", "add", "--email", instructorEmail, "--password-stdin"); err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: transport, Jar: jar, Timeout: 10 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := signIn(ctx, hc, be.url()); err != nil {
		return nil, err
	}
	api := &apiClient{http: hc, base: be.url(), key: key}

	// One attempt recorded, on an empty database.
	gp, err := b.gamePlayers(ctx, 1, "bench-data")
	if err != nil {
		return nil, err
	}
	if err := api.verify(ctx, gp[0], "awarded"); err != nil {
		return nil, err
	}
	attempts := max(20, 3*b.cfg.dataRequests)
	repeat := func() (int, error) { return 0, api.verify(ctx, gp[0], "already_awarded") }
	// As many untimed first: the server has just started (its pools,
	// caches and the collector's pace are cold), and the same attempts
	// on the seeded database are timed after every page was requested.
	sequential(attempts, repeat)
	empty := sequential(attempts, repeat)

	began := time.Now()
	seeded, err := seed(ctx, be, b.cfg, objectives)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	seedTime := time.Since(began)
	// A fresh process, as after a deployment: nothing of the seeding in
	// its caches. Sessions live in the database, so the instructor stays
	// signed in.
	if err := be.stop(); err != nil {
		return nil, err
	}
	if err := be.start(ctx, 1, args); err != nil {
		return nil, err
	}
	// Cookies are per host, not per port: the new port keeps them.
	api.base = be.url()
	base := be.url()
	get := func(path string) func() (int, error) {
		return func() (int, error) { return fetch(ctx, hc, base+path, "") }
	}

	tb := &table{
		title: fmt.Sprintf("[%s] data: %d players, %d objectives, %d attempts (%d awards) in %d cohorts, seeded in %s; "+
			"each page requested %d times, one at a time", be.label, b.cfg.dataPlayers, len(objectives), b.cfg.dataAttempts,
			seeded.awards, b.cfg.dataCohorts, seedTime.Round(time.Second), b.cfg.dataRequests),
		header: []string{"", "p50", "p95", "answer", "note"},
	}
	midObjective := objectives[len(objectives)/2]
	deep := seeded.firstID + int64(b.cfg.dataAttempts/2)
	pages := []struct{ name, path string }{
		{"progress page, first page", "/instructor/progress"},
		{"progress page, a search", "/instructor/progress?q=" + url.QueryEscape("Player 42")},
		{"progress page, stuck in a cohort", fmt.Sprintf("/instructor/progress?state=stuck&cohort=%d", seeded.cohort)},
		{"progress page, a deep page", fmt.Sprintf("/instructor/progress?page=%d", max(b.cfg.dataPlayers/50/2, 1))},
		{"submissions, first page", "/instructor/submissions"},
		{"submissions by objective", "/instructor/submissions?objective=" + url.QueryEscape(midObjective)},
		{"submissions by reason", "/instructor/submissions?reason=" + string(quest.WrongDirection)},
		{"submissions by cohort", fmt.Sprintf("/instructor/submissions?cohort=%d", seeded.cohort)},
		{"submissions, deep page", fmt.Sprintf("/instructor/submissions?before=%d", deep)},
		{"a player's page", "/instructor/players/" + url.PathEscape(seeded.player)},
	}
	for _, p := range pages {
		s := sequential(b.cfg.dataRequests, get(p.path))
		tb.add(p.name, ms(s.p50), ms(s.p95), size(s.bytes), s.note())
	}
	s := sequential(b.cfg.dataRequests, func() (int, error) { return api.get(ctx, "/api/v1/submissions") })
	tb.add("API submissions list", ms(s.p50), ms(s.p95), size(s.bytes), s.note())

	if err := be.resetPeak(); err != nil {
		tb.notes = append(tb.notes, fmt.Sprintf("could not reset the peak RSS (%v): it covers the whole run", err))
	}
	_, before, _ := be.memory()
	cpuBefore, cpuErr := be.cpu()
	began = time.Now()
	rows, n, err := csvRows(ctx, hc, base+"/instructor/submissions.csv")
	took := time.Since(began)
	_, peak, _ := be.memory()
	cpuAfter, cpuErr2 := be.cpu()
	if err != nil {
		return nil, fmt.Errorf("CSV export: %w", err)
	}
	// The server's CPU per row holds when other work on the machine
	// slows the rate down.
	perRow := ""
	if cpuErr == nil && cpuErr2 == nil && rows > 0 {
		perRow = fmt.Sprintf(", server CPU %.1f µs/row", float64((cpuAfter-cpuBefore).Microseconds())/float64(rows))
	}
	tb.add("CSV export", ms(took), "", size(n), fmt.Sprintf("%d rows, %.0f rows/s%s, server peak RSS %s (%s before)",
		rows, float64(rows)/took.Seconds(), perRow, mib(peak), mib(before)))

	full := sequential(attempts, repeat)
	tb.add("record one attempt, empty database", ms(empty.p50), ms(empty.p95), "", empty.note())
	tb.add(fmt.Sprintf("record one attempt, %d attempts", b.cfg.dataAttempts), ms(full.p50), ms(full.p95), "",
		strings.TrimSuffix(fmt.Sprintf("p50 %s × empty; %s", ratio(full.p50.Seconds(), empty.p50.Seconds()), full.note()), "; "))
	tb.notes = append(tb.notes, "an attempt is a repeat through the JSON API (already_awarded: recorded, no upstream call)",
		fmt.Sprintf("deep page: before=%d, the middle of the seeded attempts; cohort: %d players of %d", deep,
			b.cfg.dataPlayers/b.cfg.dataCohorts, b.cfg.dataPlayers))
	if be.dbURL != "" {
		tb.notes = append(tb.notes, "PostgreSQL: the seeding vacuumed the progress tables as it went and ran VACUUM ANALYZE at the end, as autovacuum would have during and after such an event")
	}
	return tb, be.close()
}

// writeObjectives writes a catalog file adding message objectives to the
// embedded ones, up to dataObjectives, and returns it with every id.
func writeObjectives(dir string) (string, []string, error) {
	embedded := []string{"send-sms", "send-mms", "make-call", "reply-sms", "send-whatsapp", "wire-number",
		"messaging-service", "verify-phone"}
	var f strings.Builder
	f.WriteString("mode: extend\nobjectives:\n")
	ids := slices.Clone(embedded)
	for i := len(embedded); i < dataObjectives; i++ {
		id := fmt.Sprintf("bench-sms-%02d", i+1)
		ids = append(ids, id)
		fmt.Fprintf(&f, `  - id: %s
    kind: message
    sid_prefixes: [SM]
    xp: 10
    title: {en: "Bench message %d", fr: "Message de banc %d"}
    summary: {en: "Send a message.", fr: "Envoyez un message."}
    instructions: {en: "Send a message.", fr: "Envoyez un message."}
    checks:
      direction_in: [outbound-api]
`, id, i+1, i+1)
	}
	path := filepath.Join(dir, "objectives.yaml")
	return path, ids, os.WriteFile(path, []byte(f.String()), 0o600)
}

// signIn signs the instructor in, as the login form does.
func signIn(ctx context.Context, hc *http.Client, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/instructor/login", nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("GET /instructor/login answered %d without a CSRF token", res.StatusCode)
	}
	form := url.Values{"email": {instructorEmail}, "password": {instructorSecret}, "_csrf": {string(m[1])}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/instructor/login", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = hc.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("instructor sign-in answered %d, want 303", res.StatusCode)
	}
	return nil
}

// fetch gets a page (with bearer as its Authorization token, when set)
// and reads it whole; anything but 200 is an error.
func fetch(ctx context.Context, hc *http.Client, u, bearer string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s answered %d", req.URL.RequestURI(), res.StatusCode)
	}
	return int(n), nil
}

// csvRows downloads the CSV export and counts its rows, header excluded.
func csvRows(ctx context.Context, hc *http.Client, u string) (rows int, n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s answered %d", req.URL.RequestURI(), res.StatusCode)
	}
	r := bufio.NewReaderSize(res.Body, 1<<16)
	for {
		line, err := r.ReadSlice('\n')
		n += int64(len(line))
		if len(line) > 0 && line[len(line)-1] == '\n' {
			rows++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return 0, n, err
		}
	}
	// Quoted fields may hold newlines: the bench's seeded rows have none.
	return max(rows-1, 0), n, nil
}

// timings are the durations of requests made one at a time.
type timings struct {
	p50, p95 time.Duration
	bytes    int
	errors   int
	first    error
}

func (t timings) note() string {
	if t.first == nil {
		return ""
	}
	return fmt.Sprintf("%d errors, first: %v", t.errors, t.first)
}

// sequential runs op n times, one after another.
func sequential(n int, op func() (int, error)) timings {
	var t timings
	took := make([]time.Duration, 0, n)
	for range n {
		began := time.Now()
		b, err := op()
		took = append(took, time.Since(began))
		if err != nil {
			t.errors++
			if t.first == nil {
				t.first = err
			}
			continue
		}
		t.bytes = b
	}
	slices.Sort(took)
	t.p50, t.p95 = percentile(took, 50), percentile(took, 95)
	return t
}

func size[T int | int64](n T) string {
	v := float64(n)
	switch {
	case v <= 0:
		return ""
	case v < 1<<10:
		return fmt.Sprintf("%.0f B", v)
	case v < 1<<20:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", v/(1<<20))
}

// seeded says where the seeded rows are, for the pages that need one.
type seeded struct {
	firstID int64  // the first seeded attempt's id
	cohort  int64  // a cohort's id
	player  string // a player's id
	awards  int
}

// seed inserts the players (each an API player of the bench's key too, so
// the API's list sees them), cohorts, attempts and awards, in big
// transactions of multi-row inserts, through the schema the server
// migrated.
func seed(ctx context.Context, be *backend, cfg config, objectives []string) (seeded, error) {
	var s seeded
	db, err := be.openDB()
	if err != nil {
		return s, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var keyID string
	if err := db.QueryRowContext(ctx, `SELECT id FROM api_keys LIMIT 1`).Scan(&keyID); err != nil {
		return s, fmt.Errorf("the bench's API key: %w", err)
	}
	now := time.Now().UTC()
	start := now.Add(-30 * 24 * time.Hour)
	if err := bulkInsert(ctx, db, be, "cohorts", []string{"name", "join_code", "archived", "created_at"}, cfg.dataCohorts,
		func(i int) []any {
			return []any{fmt.Sprintf("Bench cohort %d", i+1), fmt.Sprintf("BENCH%04d", i+1), false, start}
		}); err != nil {
		return s, err
	}
	var cohorts []int64
	rows, err := db.QueryContext(ctx, `SELECT id FROM cohorts ORDER BY id`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return s, err
		}
		cohorts = append(cohorts, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	s.cohort = cohorts[0]
	player := func(i int) string { return fmt.Sprintf("seed-%07d", i) }
	s.player = player(cfg.dataPlayers / 2)
	if err := bulkInsert(ctx, db, be, "players", []string{"id", "display_name", "created_at", "cohort_id"}, cfg.dataPlayers,
		func(i int) []any {
			return []any{player(i), fmt.Sprintf("Player %d", i), start, cohorts[i%len(cohorts)]}
		}); err != nil {
		return s, err
	}
	if err := bulkInsert(ctx, db, be, "api_players", []string{"api_key_id", "external_id", "player_id"}, cfg.dataPlayers,
		func(i int) []any { return []any{keyID, player(i), player(i)} }); err != nil {
		return s, err
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM submissions`).Scan(&s.firstID); err != nil {
		return s, err
	}
	// Attempt j is player j % players's (j / players)th; it wins its
	// objective every awardEvery attempts of that player, each time a
	// different objective (awardEvery and 20 objectives are coprime
	// enough: 25, 50, 75, 100 land on 4 different ones).
	per := max(cfg.dataAttempts/cfg.dataPlayers, 1)
	step := 30 * 24 * time.Hour / time.Duration(cfg.dataAttempts)
	awarded := map[[2]int]bool{}
	var vacuum func(ctx context.Context, from, to int) error
	if be.dbURL != "" {
		vacuum = func(ctx context.Context, from, to int) error {
			passed := func(every int) bool { return to/every > from/every }
			tables := ""
			switch {
			case passed(seedVacuumLargeEvery):
				tables = "progress, progress_players, progress_counts"
			case passed(seedVacuumSmallEvery):
				tables = "progress_players, progress_counts"
			default:
				return nil
			}
			_, err := db.ExecContext(ctx, "VACUUM "+tables)
			return err
		}
	}
	if err := bulkInsertEach(ctx, db, be, "submissions", []string{"player_id", "objective_id", "raw_sid", "sid", "reason", "created_at"},
		cfg.dataAttempts, vacuum, func(j int) []any {
			p, k := j%cfg.dataPlayers, j/cfg.dataPlayers
			o := (p + k) % len(objectives)
			reason := rejections[j%len(rejections)]
			if k%awardEvery == awardEvery-1 && k < per && !awarded[[2]int{p, o}] {
				awarded[[2]int{p, o}] = true
				reason = quest.Awarded
			}
			sid := fmt.Sprintf("SM%032x", j)
			return []any{player(p), objectives[o], sid, sid, string(reason), start.Add(time.Duration(j) * step)}
		}); err != nil {
		return s, err
	}
	// The awards, a slice of the attempts at a time: an event awards one
	// at a time, and a single statement's 40,000 awards would update as
	// many progress rows in one transaction, whose row versions nothing
	// can prune or vacuum before it commits.
	for from := 0; from < cfg.dataAttempts; from += seedBatchRows * awardEvery {
		to := min(cfg.dataAttempts, from+seedBatchRows*awardEvery)
		res, err := db.ExecContext(ctx, be.sql(`INSERT INTO awards (player_id, objective_id, sid, xp, submission_id, created_at)
			SELECT player_id, objective_id, sid, 10, id, created_at FROM submissions WHERE reason = ? AND id >= ? AND id < ?`),
			string(quest.Awarded), s.firstID+int64(from), s.firstID+int64(to))
		if err != nil {
			return s, fmt.Errorf("awards: %w", err)
		}
		n, _ := res.RowsAffected()
		s.awards += int(n)
		if vacuum != nil {
			if err := vacuum(ctx, from, to); err != nil {
				return s, err
			}
		}
	}
	if be.dbURL != "" {
		// Autovacuum would both vacuum and analyze after such a load: the
		// progress tables' triggers updated their rows once per attempt,
		// leaving dead rows an index-only scan must skip until vacuumed.
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			return s, err
		}
	}
	return s, nil
}

// bulkInsert inserts n rows into table, seedBatchRows per statement and
// seedTxRows per transaction (seedTxRowsPostgres on PostgreSQL).
func bulkInsert(ctx context.Context, db *sql.DB, be *backend, table string, cols []string, n int, row func(i int) []any) error {
	return bulkInsertEach(ctx, db, be, table, cols, n, nil, row)
}

// bulkInsertEach is bulkInsert calling between(ctx, from, to) after each
// transaction, which wrote rows [from, to).
func bulkInsertEach(ctx context.Context, db *sql.DB, be *backend, table string, cols []string, n int,
	between func(ctx context.Context, from, to int) error, row func(i int) []any) error {
	stmt := func(rows int) string {
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		return be.sql("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+", ", rows), ", "))
	}
	full := stmt(seedBatchRows)
	perTx := seedTxRows
	if be.dbURL != "" {
		perTx = seedTxRowsPostgres
	}
	for txStart := 0; txStart < n; txStart += perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := txStart; i < min(n, txStart+perTx); i += seedBatchRows {
			rows := min(seedBatchRows, n-i)
			q := full
			if rows < seedBatchRows {
				q = stmt(rows)
			}
			args := make([]any, 0, rows*len(cols))
			for r := range rows {
				args = append(args, row(i+r)...)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		if between != nil {
			if err := between(ctx, txStart, min(n, txStart+perTx)); err != nil {
				return err
			}
		}
	}
	return nil
}
