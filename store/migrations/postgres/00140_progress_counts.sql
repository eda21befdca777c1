-- +goose Up
-- The progress page at a big event's size, continued: see the SQLite
-- migration of the same number for what progress_counts and
-- progress.fail_since hold and why triggers keep them.
--
-- Here concurrent attempts write in transactions of their own, side by
-- side: were every first failure of a cohort's objective to add to one
-- row, they would queue on its lock until each commit. A writer adds to
-- the row of its own shard (its backend's process id modulo 8) instead,
-- and the reader sums the shards; a count that moved is taken from the
-- writer's shard (it may go below 0 there) and the two rows are written in
-- the order of their keys, so that two writers never wait on each other
-- in a circle.
CREATE TABLE progress_counts (
    cohort_id    BIGINT NOT NULL,
    objective_id TEXT NOT NULL,
    done         INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    last_reason  TEXT NOT NULL,
    tried        INTEGER NOT NULL,
    shard        INTEGER NOT NULL DEFAULT 0,
    n            INTEGER NOT NULL,
    PRIMARY KEY (cohort_id, objective_id, done, failures, last_reason, tried, shard)
);

-- Every attempt that moves a count updates two of its few thousand rows:
-- room on each page for their new versions (HOT updates), and a vacuum
-- as soon as a few thousand versions are dead rather than a fifth of the
-- table, so that a busy event (or a bulk load, whose own versions cannot
-- be pruned before it commits) does not leave the counts spread over
-- thousands of mostly empty pages that every read of them walks.
ALTER TABLE progress_counts SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 5000, autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);

INSERT INTO progress_counts (cohort_id, objective_id, done, failures, last_reason, tried, shard, n)
SELECT COALESCE(cohort_id, 0), objective_id, done, failures, last_reason, (attempts > 0)::INTEGER, 0, COUNT(*)
FROM progress GROUP BY COALESCE(cohort_id, 0), objective_id, done, failures, last_reason, (attempts > 0)::INTEGER;

-- +goose StatementBegin
CREATE FUNCTION progress_count_add(c BIGINT, o TEXT, d INTEGER, f INTEGER, r TEXT, t BOOLEAN, delta INTEGER) RETURNS VOID AS $$
    INSERT INTO progress_counts (cohort_id, objective_id, done, failures, last_reason, tried, shard, n)
    VALUES (COALESCE(c, 0), o, d, f, r, t::INTEGER, pg_backend_pid() % 8, delta)
    ON CONFLICT (cohort_id, objective_id, done, failures, last_reason, tried, shard)
    DO UPDATE SET n = progress_counts.n + excluded.n
$$ LANGUAGE SQL;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION progress_count() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM progress_count_add(NEW.cohort_id, NEW.objective_id, NEW.done, NEW.failures, NEW.last_reason, NEW.attempts > 0, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM progress_count_add(OLD.cohort_id, OLD.objective_id, OLD.done, OLD.failures, OLD.last_reason, OLD.attempts > 0, -1);
    ELSIF ROW(COALESCE(OLD.cohort_id, 0), OLD.objective_id, OLD.done, OLD.failures, OLD.last_reason, OLD.attempts > 0)
        < ROW(COALESCE(NEW.cohort_id, 0), NEW.objective_id, NEW.done, NEW.failures, NEW.last_reason, NEW.attempts > 0) THEN
        PERFORM progress_count_add(OLD.cohort_id, OLD.objective_id, OLD.done, OLD.failures, OLD.last_reason, OLD.attempts > 0, -1);
        PERFORM progress_count_add(NEW.cohort_id, NEW.objective_id, NEW.done, NEW.failures, NEW.last_reason, NEW.attempts > 0, 1);
    ELSE
        PERFORM progress_count_add(NEW.cohort_id, NEW.objective_id, NEW.done, NEW.failures, NEW.last_reason, NEW.attempts > 0, 1);
        PERFORM progress_count_add(OLD.cohort_id, OLD.objective_id, OLD.done, OLD.failures, OLD.last_reason, OLD.attempts > 0, -1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER progress_count AFTER INSERT OR DELETE ON progress FOR EACH ROW EXECUTE FUNCTION progress_count();
CREATE TRIGGER progress_count_moved AFTER UPDATE ON progress FOR EACH ROW
    WHEN (OLD.cohort_id IS DISTINCT FROM NEW.cohort_id OR OLD.objective_id <> NEW.objective_id OR OLD.done <> NEW.done
        OR OLD.failures <> NEW.failures OR OLD.last_reason <> NEW.last_reason OR (OLD.attempts > 0) <> (NEW.attempts > 0))
    EXECUTE FUNCTION progress_count();

ALTER TABLE progress ADD COLUMN fail_since TIMESTAMPTZ;

UPDATE progress g SET fail_since = x.since
FROM (SELECT s.player_id, s.objective_id, MIN(s.created_at) AS since
    FROM submissions s
    LEFT JOIN (SELECT player_id, objective_id, MAX(id) AS last_success FROM submissions
        WHERE reason IN ('awarded', 'already_awarded') GROUP BY player_id, objective_id) w
        ON w.player_id = s.player_id AND w.objective_id = s.objective_id
    WHERE progress_kind(s.reason) = 'f' AND s.id > COALESCE(w.last_success, 0)
    GROUP BY s.player_id, s.objective_id) x
WHERE g.player_id = x.player_id AND g.objective_id = x.objective_id AND g.failures > 0;

CREATE INDEX progress_failing ON progress (cohort_id, last_at, failures, fail_since) WHERE done = 0 AND failures > 0;

-- The counts per state read progress_players grouped by what decides a
-- state, in this index's order.
CREATE INDEX progress_players_state ON progress_players (cohort_id, done, tried, streak);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_attempt() RETURNS TRIGGER AS $$
DECLARE
    k CHAR := progress_kind(NEW.reason);
BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, attempts, failures, last_reason, last_at, fail_since)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1, CASE WHEN k = 'f' THEN 1 ELSE 0 END,
        CASE WHEN k = 'f' THEN NEW.reason ELSE '' END, NEW.created_at,
        CASE WHEN k = 'f' THEN NEW.created_at END
    FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET
        attempts = progress.attempts + 1,
        failures = CASE WHEN k = 's' THEN 0 ELSE progress.failures + excluded.failures END,
        last_reason = CASE WHEN k = 'f' THEN NEW.reason ELSE progress.last_reason END,
        last_at = excluded.last_at,
        fail_since = CASE WHEN k = 's' THEN NULL
            WHEN k = 'f' AND progress.failures = 0 THEN NEW.created_at ELSE progress.fail_since END;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_outcome() RETURNS TRIGGER AS $$
DECLARE
    k CHAR := progress_kind(NEW.reason);
BEGIN
    UPDATE progress SET
        failures = CASE WHEN k = 's' THEN 0 WHEN k = 'f' THEN failures + 1 ELSE failures END,
        last_reason = CASE WHEN k = 'f' THEN NEW.reason ELSE last_reason END,
        fail_since = CASE WHEN k = 's' THEN NULL WHEN k = 'f' AND failures = 0 THEN NEW.created_at ELSE fail_since END
    WHERE player_id = NEW.player_id AND objective_id = NEW.objective_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_outcome() RETURNS TRIGGER AS $$
DECLARE
    k CHAR := progress_kind(NEW.reason);
BEGIN
    UPDATE progress SET
        failures = CASE WHEN k = 's' THEN 0 WHEN k = 'f' THEN failures + 1 ELSE failures END,
        last_reason = CASE WHEN k = 'f' THEN NEW.reason ELSE last_reason END
    WHERE player_id = NEW.player_id AND objective_id = NEW.objective_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_attempt() RETURNS TRIGGER AS $$
DECLARE
    k CHAR := progress_kind(NEW.reason);
BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, attempts, failures, last_reason, last_at)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1, CASE WHEN k = 'f' THEN 1 ELSE 0 END,
        CASE WHEN k = 'f' THEN NEW.reason ELSE '' END, NEW.created_at
    FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET
        attempts = progress.attempts + 1,
        failures = CASE WHEN k = 's' THEN 0 ELSE progress.failures + excluded.failures END,
        last_reason = CASE WHEN k = 'f' THEN NEW.reason ELSE progress.last_reason END,
        last_at = excluded.last_at;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
DROP INDEX progress_players_state;
DROP INDEX progress_failing;
ALTER TABLE progress DROP COLUMN fail_since;
DROP TRIGGER progress_count_moved ON progress;
DROP TRIGGER progress_count ON progress;
DROP FUNCTION progress_count();
DROP FUNCTION progress_count_add(BIGINT, TEXT, INTEGER, INTEGER, TEXT, BOOLEAN, INTEGER);
DROP TABLE progress_counts;
