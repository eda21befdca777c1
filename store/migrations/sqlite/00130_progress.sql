-- +goose Up
-- The progress page at a big event's size (issue 19): what the page shows
-- of each player is kept up to date as attempts and awards are written,
-- by triggers, so that every writer (a HACK, a reservation finished, an
-- award or revocation by hand, a cohort change) keeps it true in its own
-- transaction, and the page reads a few rows instead of every attempt.
--
-- A reason is a "failure" when it says the player got the SID wrong
-- (quest.Reason.Counts, pending excepted); awarded and already_awarded
-- are successes; the others (Twilio's trouble, credentials, locked,
-- limits, outside the event, pending) change nothing. store's tests check
-- these lists against quest.Reasons.

-- One row per player and objective they tried or hold. failures counts
-- the failures in a row since their last success; last_reason is the
-- reason of their latest failure; cohort_id is the player's, copied so
-- that a cohort's counts read one index range.
CREATE TABLE progress (
    player_id    TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id TEXT NOT NULL,
    cohort_id    INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    last_reason  TEXT NOT NULL DEFAULT '',
    last_at      TIMESTAMP,
    done         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (player_id, objective_id)
) WITHOUT ROWID;
CREATE INDEX progress_cohort ON progress (cohort_id, objective_id, done, failures, last_reason, attempts);

-- One row per player with any progress row: objectives done, objectives
-- tried and not done, the longest run of failures on one not done
-- (stuck when it reaches the cohort's rule) and their latest attempt.
CREATE TABLE progress_players (
    player_id TEXT PRIMARY KEY REFERENCES players(id) ON DELETE CASCADE,
    cohort_id INTEGER,
    done      INTEGER NOT NULL DEFAULT 0,
    tried     INTEGER NOT NULL DEFAULT 0,
    streak    INTEGER NOT NULL DEFAULT 0,
    last_at   TIMESTAMP
) WITHOUT ROWID;

-- Backfill from the attempts and awards already there.
INSERT INTO progress (player_id, objective_id, cohort_id, attempts, last_at)
SELECT s.player_id, s.objective_id, p.cohort_id, COUNT(*), MAX(s.created_at)
FROM submissions s JOIN players p ON p.id = s.player_id
GROUP BY s.player_id, s.objective_id;

UPDATE progress SET
    failures = (SELECT COUNT(*) FROM submissions s
        WHERE s.player_id = progress.player_id AND s.objective_id = progress.objective_id
          AND s.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
              'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
              'event_not_started', 'event_ended')
          AND s.id > COALESCE((SELECT MAX(w.id) FROM submissions w
              WHERE w.player_id = progress.player_id AND w.objective_id = progress.objective_id
                AND w.reason IN ('awarded', 'already_awarded')), 0)),
    last_reason = COALESCE((SELECT s.reason FROM submissions s
        WHERE s.player_id = progress.player_id AND s.objective_id = progress.objective_id
          AND s.reason NOT IN ('awarded', 'already_awarded', 'upstream_rate_limited', 'upstream_unavailable',
              'bad_credentials', 'no_credentials', 'locked', 'attempts_exhausted', 'pending', 'rate_limited',
              'event_not_started', 'event_ended')
        ORDER BY s.id DESC LIMIT 1), '');

INSERT INTO progress (player_id, objective_id, cohort_id, done)
SELECT a.player_id, a.objective_id, p.cohort_id, 1 FROM awards a JOIN players p ON p.id = a.player_id WHERE true
ON CONFLICT (player_id, objective_id) DO UPDATE SET done = 1;

INSERT INTO progress_players (player_id, cohort_id, done, tried, streak, last_at)
SELECT player_id, MAX(cohort_id), SUM(done), SUM(done = 0 AND attempts > 0),
    MAX(CASE WHEN done = 0 THEN failures ELSE 0 END), MAX(last_at)
FROM progress GROUP BY player_id;

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

-- A reserved attempt (pending) gets its outcome later.
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

-- +goose StatementBegin
CREATE TRIGGER progress_award AFTER INSERT ON awards BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, done)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1 FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET done = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER progress_revoke AFTER DELETE ON awards BEGIN
    UPDATE progress SET done = 0 WHERE player_id = OLD.player_id AND objective_id = OLD.objective_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER progress_cohort_moved AFTER UPDATE OF cohort_id ON players
WHEN OLD.cohort_id IS NOT NEW.cohort_id BEGIN
    UPDATE progress SET cohort_id = NEW.cohort_id WHERE player_id = NEW.id;
    UPDATE progress_players SET cohort_id = NEW.cohort_id WHERE player_id = NEW.id;
END;
-- +goose StatementEnd

-- The player's summary follows their rows. A row written while its
-- player is being erased (their awards cascading) writes nothing.
-- +goose StatementBegin
CREATE TRIGGER progress_player_insert AFTER INSERT ON progress BEGIN
    INSERT INTO progress_players (player_id, cohort_id, done, tried, streak, last_at)
    SELECT player_id, MAX(cohort_id), SUM(done), SUM(done = 0 AND attempts > 0),
        MAX(CASE WHEN done = 0 THEN failures ELSE 0 END), MAX(last_at)
    FROM progress WHERE player_id = NEW.player_id AND EXISTS (SELECT 1 FROM players WHERE id = NEW.player_id)
    GROUP BY player_id
    ON CONFLICT (player_id) DO UPDATE SET cohort_id = excluded.cohort_id, done = excluded.done,
        tried = excluded.tried, streak = excluded.streak, last_at = excluded.last_at;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER progress_player_update AFTER UPDATE ON progress BEGIN
    INSERT INTO progress_players (player_id, cohort_id, done, tried, streak, last_at)
    SELECT player_id, MAX(cohort_id), SUM(done), SUM(done = 0 AND attempts > 0),
        MAX(CASE WHEN done = 0 THEN failures ELSE 0 END), MAX(last_at)
    FROM progress WHERE player_id = NEW.player_id AND EXISTS (SELECT 1 FROM players WHERE id = NEW.player_id)
    GROUP BY player_id
    ON CONFLICT (player_id) DO UPDATE SET cohort_id = excluded.cohort_id, done = excluded.done,
        tried = excluded.tried, streak = excluded.streak, last_at = excluded.last_at;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER progress_player_update;
DROP TRIGGER progress_player_insert;
DROP TRIGGER progress_cohort_moved;
DROP TRIGGER progress_revoke;
DROP TRIGGER progress_award;
DROP TRIGGER progress_outcome;
DROP TRIGGER progress_attempt;
DROP TABLE progress_players;
DROP TABLE progress;
