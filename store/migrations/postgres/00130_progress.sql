-- +goose Up
-- The progress page at a big event's size: see the SQLite migration of
-- the same number for what each table holds and why triggers keep it.
CREATE TABLE progress (
    player_id    TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id TEXT NOT NULL,
    cohort_id    BIGINT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    last_reason  TEXT NOT NULL DEFAULT '',
    last_at      TIMESTAMPTZ,
    done         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (player_id, objective_id)
);
CREATE INDEX progress_cohort ON progress (cohort_id, objective_id, done, failures, last_reason, attempts);

CREATE TABLE progress_players (
    player_id TEXT PRIMARY KEY REFERENCES players(id) ON DELETE CASCADE,
    cohort_id BIGINT,
    done      INTEGER NOT NULL DEFAULT 0,
    tried     INTEGER NOT NULL DEFAULT 0,
    streak    INTEGER NOT NULL DEFAULT 0,
    last_at   TIMESTAMPTZ
);

-- +goose StatementBegin
-- progress_kind sorts a reason: 's' success, 'n' neutral (changes
-- nothing), 'f' failure.
CREATE FUNCTION progress_kind(reason TEXT) RETURNS CHAR AS $$
    SELECT CASE
        WHEN reason IN ('awarded', 'already_awarded') THEN 's'
        WHEN reason IN ('upstream_rate_limited', 'upstream_unavailable', 'bad_credentials', 'no_credentials',
            'locked', 'attempts_exhausted', 'pending', 'rate_limited', 'event_not_started', 'event_ended') THEN 'n'
        ELSE 'f' END
$$ LANGUAGE SQL IMMUTABLE;
-- +goose StatementEnd

-- Backfill from the attempts and awards already there.
INSERT INTO progress (player_id, objective_id, cohort_id, attempts, last_at, failures, last_reason)
SELECT s.player_id, s.objective_id, p.cohort_id, COUNT(*), MAX(s.created_at),
    COUNT(*) FILTER (WHERE progress_kind(s.reason) = 'f' AND s.id > COALESCE(w.last_success, 0)),
    COALESCE((ARRAY_AGG(s.reason ORDER BY s.id DESC) FILTER (WHERE progress_kind(s.reason) = 'f'))[1], '')
FROM submissions s JOIN players p ON p.id = s.player_id
LEFT JOIN (SELECT player_id, objective_id, MAX(id) AS last_success FROM submissions
    WHERE reason IN ('awarded', 'already_awarded') GROUP BY player_id, objective_id) w
    ON w.player_id = s.player_id AND w.objective_id = s.objective_id
GROUP BY s.player_id, s.objective_id, p.cohort_id;

INSERT INTO progress (player_id, objective_id, cohort_id, done)
SELECT a.player_id, a.objective_id, p.cohort_id, 1 FROM awards a JOIN players p ON p.id = a.player_id
ON CONFLICT (player_id, objective_id) DO UPDATE SET done = 1;

INSERT INTO progress_players (player_id, cohort_id, done, tried, streak, last_at)
SELECT player_id, MAX(cohort_id), SUM(done), COUNT(*) FILTER (WHERE done = 0 AND attempts > 0),
    MAX(CASE WHEN done = 0 THEN failures ELSE 0 END), MAX(last_at)
FROM progress GROUP BY player_id;

-- +goose StatementBegin
CREATE FUNCTION progress_attempt() RETURNS TRIGGER AS $$
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
CREATE TRIGGER progress_attempt AFTER INSERT ON submissions FOR EACH ROW EXECUTE FUNCTION progress_attempt();

-- +goose StatementBegin
CREATE FUNCTION progress_outcome() RETURNS TRIGGER AS $$
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
CREATE TRIGGER progress_outcome AFTER UPDATE OF reason ON submissions FOR EACH ROW
    WHEN (OLD.reason = 'pending' AND NEW.reason <> 'pending') EXECUTE FUNCTION progress_outcome();

-- +goose StatementBegin
CREATE FUNCTION progress_award() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO progress (player_id, objective_id, cohort_id, done)
        SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1 FROM players p WHERE p.id = NEW.player_id
        ON CONFLICT (player_id, objective_id) DO UPDATE SET done = 1;
    ELSE
        UPDATE progress SET done = 0 WHERE player_id = OLD.player_id AND objective_id = OLD.objective_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER progress_award AFTER INSERT OR DELETE ON awards FOR EACH ROW EXECUTE FUNCTION progress_award();

-- +goose StatementBegin
CREATE FUNCTION progress_cohort_moved() RETURNS TRIGGER AS $$
BEGIN
    UPDATE progress SET cohort_id = NEW.cohort_id WHERE player_id = NEW.id;
    UPDATE progress_players SET cohort_id = NEW.cohort_id WHERE player_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER progress_cohort_moved AFTER UPDATE OF cohort_id ON players FOR EACH ROW
    WHEN (OLD.cohort_id IS DISTINCT FROM NEW.cohort_id) EXECUTE FUNCTION progress_cohort_moved();

-- +goose StatementBegin
CREATE FUNCTION progress_player() RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO progress_players (player_id, cohort_id, done, tried, streak, last_at)
    SELECT player_id, MAX(cohort_id), SUM(done), COUNT(*) FILTER (WHERE done = 0 AND attempts > 0),
        MAX(CASE WHEN done = 0 THEN failures ELSE 0 END), MAX(last_at)
    FROM progress WHERE player_id = NEW.player_id AND EXISTS (SELECT 1 FROM players WHERE id = NEW.player_id)
    GROUP BY player_id
    ON CONFLICT (player_id) DO UPDATE SET cohort_id = excluded.cohort_id, done = excluded.done,
        tried = excluded.tried, streak = excluded.streak, last_at = excluded.last_at;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER progress_player AFTER INSERT OR UPDATE ON progress FOR EACH ROW EXECUTE FUNCTION progress_player();

-- +goose Down
DROP TRIGGER progress_player ON progress;
DROP TRIGGER progress_cohort_moved ON players;
DROP TRIGGER progress_award ON awards;
DROP TRIGGER progress_outcome ON submissions;
DROP TRIGGER progress_attempt ON submissions;
DROP FUNCTION progress_player();
DROP FUNCTION progress_cohort_moved();
DROP FUNCTION progress_award();
DROP FUNCTION progress_outcome();
DROP FUNCTION progress_attempt();
DROP TABLE progress_players;
DROP TABLE progress;
DROP FUNCTION progress_kind(TEXT);
