-- +goose Up
-- A HACK's triggers, cheaper (issue 19). See the SQLite migration of the
-- same number for what changes and why.
--
-- An awarded attempt moves its progress row once. The attempt that wins
-- an objective is recorded with its award, in one transaction, and both
-- wrote the player's progress row: the attempt's trigger counted it (a
-- row tried and not done), then the award's moved it to done, each write
-- recomputing the player's summary and moving two per-state counts,
-- whose rows every concurrent award of the objective writes too and
-- holds until its commit. An attempt recorded as awarded now marks the
-- row done itself (its award follows in the same transaction:
-- store.RecordAttempt is the only writer of such rows), and the award's
-- trigger writes only when the row is not done yet (an award by hand).
-- The rows end as before; the counts move once.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_attempt() RETURNS TRIGGER AS $$
DECLARE
    k CHAR := progress_kind(NEW.reason);
BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, attempts, failures, last_reason, last_at, fail_since, done)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1, CASE WHEN k = 'f' THEN 1 ELSE 0 END,
        CASE WHEN k = 'f' THEN NEW.reason ELSE '' END, NEW.created_at,
        CASE WHEN k = 'f' THEN NEW.created_at END,
        CASE WHEN NEW.reason = 'awarded' THEN 1 ELSE 0 END
    FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET
        attempts = progress.attempts + 1,
        failures = CASE WHEN k = 's' THEN 0 ELSE progress.failures + excluded.failures END,
        last_reason = CASE WHEN k = 'f' THEN NEW.reason ELSE progress.last_reason END,
        last_at = excluded.last_at,
        fail_since = CASE WHEN k = 's' THEN NULL
            WHEN k = 'f' AND progress.failures = 0 THEN NEW.created_at ELSE progress.fail_since END,
        done = CASE WHEN NEW.reason = 'awarded' THEN 1 ELSE progress.done END;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_award() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO progress (player_id, objective_id, cohort_id, done)
        SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1 FROM players p WHERE p.id = NEW.player_id
        ON CONFLICT (player_id, objective_id) DO UPDATE SET done = 1 WHERE progress.done = 0;
    ELSE
        UPDATE progress SET done = 0 WHERE player_id = OLD.player_id AND objective_id = OLD.objective_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- A player's hints move their version too (see 00150): a HACK reads what
-- the hints they revealed cost (the XP it would grant), and the store
-- keeps that read with the others at the player's version.
CREATE TRIGGER version_hint AFTER INSERT OR UPDATE OR DELETE ON hint_reveals
    FOR EACH ROW EXECUTE FUNCTION version_player_row();

-- +goose Down
DROP TRIGGER version_hint ON hint_reveals;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_award() RETURNS TRIGGER AS $$
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
