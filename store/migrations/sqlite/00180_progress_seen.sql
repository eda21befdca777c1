-- +goose Up
-- A player's summary (progress_players) moved cheaply when only the time
-- of their last attempt moved (issue 19).
--
-- Every write of a progress row recomputed its player's summary from all
-- their rows (progress_player_update of 00130): the counts of objectives
-- done and tried, the longest run of failures, the cohort, and the time
-- of the last attempt. Most writes at an event are a player's attempt at
-- an objective whose state it does not change (a repeat of a SID that
-- won it, a HACK while Twilio is down), which moves the row's attempts
-- and last_at only: the summary's last_at then moves to the row's new
-- time when that is later, which is what the maximum over the rows
-- gives when one row's time moves on and the others stay. Any other
-- change (done, the failures, whether the row was tried, the cohort, a
-- time moving back) recomputes the summary as before. The recompute's
-- condition is never NULL (a NULL would fire neither trigger: last_at is
-- the one column read that may be NULL), and the cheap trigger fires
-- only where it does not and the time moved on.
DROP TRIGGER progress_player_update;
-- +goose StatementBegin
CREATE TRIGGER progress_player_update AFTER UPDATE ON progress
WHEN OLD.player_id <> NEW.player_id OR OLD.cohort_id IS NOT NEW.cohort_id OR OLD.done <> NEW.done
    OR OLD.failures <> NEW.failures OR (OLD.attempts > 0) <> (NEW.attempts > 0)
    OR OLD.last_at IS NOT NULL AND (NEW.last_at IS NULL OR NEW.last_at < OLD.last_at) BEGIN
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
CREATE TRIGGER progress_player_seen AFTER UPDATE ON progress
WHEN NOT (OLD.player_id <> NEW.player_id OR OLD.cohort_id IS NOT NEW.cohort_id OR OLD.done <> NEW.done
    OR OLD.failures <> NEW.failures OR (OLD.attempts > 0) <> (NEW.attempts > 0)
    OR OLD.last_at IS NOT NULL AND (NEW.last_at IS NULL OR NEW.last_at < OLD.last_at))
    AND NEW.last_at IS NOT NULL AND (OLD.last_at IS NULL OR NEW.last_at > OLD.last_at) BEGIN
    UPDATE progress_players SET last_at = NEW.last_at
    WHERE player_id = NEW.player_id AND (last_at IS NULL OR last_at < NEW.last_at);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER progress_player_seen;
DROP TRIGGER progress_player_update;
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
