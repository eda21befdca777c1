-- +goose Up
-- The progress page at a big event's size, continued (issue 19). Two
-- reads that cost the event's size per request are kept up to date by
-- triggers instead, in the writer's own transaction:
--
-- progress_counts counts the progress rows per cohort (0: none),
-- objective, done, failures in a row, latest failure and whether the
-- player tried: the page's counts per objective read a few thousand rows
-- instead of one per player and objective. A row whose count fell to 0
-- stays (the reader skips it). shard is always 0 here (one writer); on
-- PostgreSQL it spreads concurrent writers over rows.
--
-- progress.fail_since is when the current run of failures began (NULL
-- without one): with last_at it decides the stuck rule's minutes, so that
-- the Stuck panel reads the cohort's failing progress rows instead of a
-- day of its attempts.
CREATE TABLE progress_counts (
    cohort_id    INTEGER NOT NULL,
    objective_id TEXT NOT NULL,
    done         INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    last_reason  TEXT NOT NULL,
    tried        INTEGER NOT NULL,
    shard        INTEGER NOT NULL DEFAULT 0,
    n            INTEGER NOT NULL,
    PRIMARY KEY (cohort_id, objective_id, done, failures, last_reason, tried, shard)
) WITHOUT ROWID;

INSERT INTO progress_counts (cohort_id, objective_id, done, failures, last_reason, tried, shard, n)
SELECT COALESCE(cohort_id, 0), objective_id, done, failures, last_reason, attempts > 0, 0, COUNT(*)
FROM progress GROUP BY COALESCE(cohort_id, 0), objective_id, done, failures, last_reason, attempts > 0;

-- +goose StatementBegin
CREATE TRIGGER progress_count_insert AFTER INSERT ON progress BEGIN
    INSERT INTO progress_counts (cohort_id, objective_id, done, failures, last_reason, tried, shard, n)
    VALUES (COALESCE(NEW.cohort_id, 0), NEW.objective_id, NEW.done, NEW.failures, NEW.last_reason, NEW.attempts > 0, 0, 1)
    ON CONFLICT (cohort_id, objective_id, done, failures, last_reason, tried, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER progress_count_update AFTER UPDATE ON progress
WHEN OLD.cohort_id IS NOT NEW.cohort_id OR OLD.objective_id <> NEW.objective_id OR OLD.done <> NEW.done
    OR OLD.failures <> NEW.failures OR OLD.last_reason <> NEW.last_reason OR (OLD.attempts > 0) <> (NEW.attempts > 0) BEGIN
    UPDATE progress_counts SET n = n - 1
    WHERE cohort_id = COALESCE(OLD.cohort_id, 0) AND objective_id = OLD.objective_id AND done = OLD.done
      AND failures = OLD.failures AND last_reason = OLD.last_reason AND tried = (OLD.attempts > 0) AND shard = 0;
    INSERT INTO progress_counts (cohort_id, objective_id, done, failures, last_reason, tried, shard, n)
    VALUES (COALESCE(NEW.cohort_id, 0), NEW.objective_id, NEW.done, NEW.failures, NEW.last_reason, NEW.attempts > 0, 0, 1)
    ON CONFLICT (cohort_id, objective_id, done, failures, last_reason, tried, shard) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER progress_count_delete AFTER DELETE ON progress BEGIN
    UPDATE progress_counts SET n = n - 1
    WHERE cohort_id = COALESCE(OLD.cohort_id, 0) AND objective_id = OLD.objective_id AND done = OLD.done
      AND failures = OLD.failures AND last_reason = OLD.last_reason AND tried = (OLD.attempts > 0) AND shard = 0;
END;
-- +goose StatementEnd

ALTER TABLE progress ADD COLUMN fail_since TIMESTAMP;

-- The runs of failures already there began at their first failure since
-- the latest success.
UPDATE progress SET fail_since = (SELECT MIN(s.created_at) FROM submissions s
    WHERE s.player_id = progress.player_id AND s.objective_id = progress.objective_id
      AND s.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
          'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
          'event_not_started', 'event_ended')
      AND s.id > COALESCE((SELECT MAX(w.id) FROM submissions w
          WHERE w.player_id = progress.player_id AND w.objective_id = progress.objective_id
            AND w.reason IN ('awarded', 'already_awarded')), 0))
WHERE failures > 0;

-- Who may be stuck in a cohort: the rows failing, by their latest attempt,
-- with what the stuck rule reads, so that counting them reads this index only.
CREATE INDEX progress_failing ON progress (cohort_id, last_at, failures, fail_since) WHERE done = 0 AND failures > 0;

-- The counts per state read progress_players grouped by what decides a
-- state, in this index's order.
CREATE INDEX progress_players_state ON progress_players (cohort_id, done, tried, streak);

-- The attempt triggers of 00130, with the start of the run of failures.
DROP TRIGGER progress_attempt;
-- +goose StatementBegin
CREATE TRIGGER progress_attempt AFTER INSERT ON submissions BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, attempts, failures, last_reason, last_at, fail_since)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1,
        NEW.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
            'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
            'event_not_started', 'event_ended'),
        CASE WHEN NEW.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
            'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
            'event_not_started', 'event_ended') THEN NEW.reason ELSE '' END,
        NEW.created_at,
        CASE WHEN NEW.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
            'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
            'event_not_started', 'event_ended') THEN NEW.created_at END
    FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET
        attempts = attempts + 1,
        failures = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN 0
            ELSE failures + excluded.failures END,
        last_reason = CASE WHEN excluded.failures = 1 THEN NEW.reason ELSE last_reason END,
        last_at = excluded.last_at,
        fail_since = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN NULL
            WHEN excluded.failures = 1 AND failures = 0 THEN NEW.created_at ELSE fail_since END;
END;
-- +goose StatementEnd

DROP TRIGGER progress_outcome;
-- +goose StatementBegin
CREATE TRIGGER progress_outcome AFTER UPDATE OF reason ON submissions
WHEN OLD.reason = 'pending' AND NEW.reason <> 'pending' BEGIN
    UPDATE progress SET
        failures = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN 0
            WHEN NEW.reason IN ('upstream_rate_limited', 'upstream_unavailable', 'bad_credentials', 'no_credentials',
                'locked', 'attempts_exhausted', 'rate_limited', 'event_not_started', 'event_ended') THEN failures
            ELSE failures + 1 END,
        last_reason = CASE WHEN NEW.reason IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
            'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'rate_limited',
            'event_not_started', 'event_ended') THEN last_reason ELSE NEW.reason END,
        fail_since = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN NULL
            WHEN NEW.reason IN ('upstream_rate_limited', 'upstream_unavailable', 'bad_credentials', 'no_credentials',
                'locked', 'attempts_exhausted', 'rate_limited', 'event_not_started', 'event_ended') THEN fail_since
            WHEN failures = 0 THEN NEW.created_at ELSE fail_since END
    WHERE player_id = NEW.player_id AND objective_id = NEW.objective_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER progress_outcome;
-- +goose StatementBegin
CREATE TRIGGER progress_outcome AFTER UPDATE OF reason ON submissions
WHEN OLD.reason = 'pending' AND NEW.reason <> 'pending' BEGIN
    UPDATE progress SET
        failures = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN 0
            WHEN NEW.reason IN ('upstream_rate_limited', 'upstream_unavailable', 'bad_credentials', 'no_credentials',
                'locked', 'attempts_exhausted', 'rate_limited', 'event_not_started', 'event_ended') THEN failures
            ELSE failures + 1 END,
        last_reason = CASE WHEN NEW.reason IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
            'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'rate_limited',
            'event_not_started', 'event_ended') THEN last_reason ELSE NEW.reason END
    WHERE player_id = NEW.player_id AND objective_id = NEW.objective_id;
END;
-- +goose StatementEnd
DROP TRIGGER progress_attempt;
-- +goose StatementBegin
CREATE TRIGGER progress_attempt AFTER INSERT ON submissions BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, attempts, failures, last_reason, last_at)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1,
        NEW.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
            'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
            'event_not_started', 'event_ended'),
        CASE WHEN NEW.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
            'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
            'event_not_started', 'event_ended') THEN NEW.reason ELSE '' END,
        NEW.created_at
    FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET
        attempts = attempts + 1,
        failures = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN 0
            ELSE failures + excluded.failures END,
        last_reason = CASE WHEN excluded.failures = 1 THEN NEW.reason ELSE last_reason END,
        last_at = excluded.last_at;
END;
-- +goose StatementEnd
DROP INDEX progress_players_state;
DROP INDEX progress_failing;
ALTER TABLE progress DROP COLUMN fail_since;
DROP TRIGGER progress_count_delete;
DROP TRIGGER progress_count_update;
DROP TRIGGER progress_count_insert;
DROP TABLE progress_counts;
