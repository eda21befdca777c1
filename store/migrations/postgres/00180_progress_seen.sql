-- +goose Up
-- A player's summary moved cheaply when only the time of their last
-- attempt moved: see the SQLite migration of the same number. Here the
-- one trigger keeps firing on every write of a progress row, and its
-- function takes the cheap way when it may (a second trigger on the
-- same function would bind the function to this version: 00130's Down
-- drops it).

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_player() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.player_id = NEW.player_id AND OLD.cohort_id IS NOT DISTINCT FROM NEW.cohort_id
        AND OLD.done = NEW.done AND OLD.failures = NEW.failures AND (OLD.attempts > 0) = (NEW.attempts > 0)
        AND NEW.last_at IS NOT NULL AND (OLD.last_at IS NULL OR NEW.last_at >= OLD.last_at) THEN
        UPDATE progress_players SET last_at = NEW.last_at
        WHERE player_id = NEW.player_id AND (last_at IS NULL OR last_at < NEW.last_at);
        RETURN NULL;
    END IF;
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_player() RETURNS TRIGGER AS $$
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
