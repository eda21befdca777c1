-- +goose Up
-- A HACK's triggers, cheaper (issue 19). First, an awarded attempt moves
-- its progress row once.
--
-- The attempt that wins an objective is recorded with its award, in one
-- transaction, and both wrote the player's progress row: the attempt's
-- trigger counted it (a row tried and not done), then the award's moved
-- it to done, each write recomputing the player's summary and moving the
-- per-state counts. An attempt recorded as awarded now marks the row done
-- itself (its award follows in the same transaction: store.RecordAttempt
-- is the only writer of such rows), and the award's trigger writes only
-- when the row is not done yet (an award by hand, or a row the attempt's
-- trigger did not reach). The rows end as before; the counts move once.
DROP TRIGGER progress_attempt;
-- +goose StatementBegin
CREATE TRIGGER progress_attempt AFTER INSERT ON submissions BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, attempts, failures, last_reason, last_at, fail_since, done)
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
            'event_not_started', 'event_ended') THEN NEW.created_at END,
        NEW.reason = 'awarded'
    FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET
        attempts = attempts + 1,
        failures = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN 0
            ELSE failures + excluded.failures END,
        last_reason = CASE WHEN excluded.failures = 1 THEN NEW.reason ELSE last_reason END,
        last_at = excluded.last_at,
        fail_since = CASE WHEN NEW.reason IN ('awarded', 'already_awarded') THEN NULL
            WHEN excluded.failures = 1 AND failures = 0 THEN NEW.created_at ELSE fail_since END,
        done = CASE WHEN NEW.reason = 'awarded' THEN 1 ELSE done END;
END;
-- +goose StatementEnd

DROP TRIGGER progress_award;
-- +goose StatementBegin
CREATE TRIGGER progress_award AFTER INSERT ON awards BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, done)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1 FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET done = 1 WHERE done = 0;
END;
-- +goose StatementEnd

-- A player's hints move their version too (see 00150): a HACK reads what
-- the hints they revealed cost (the XP it would grant), and the store
-- keeps that read with the others at the player's version.
-- +goose StatementBegin
CREATE TRIGGER version_hint_insert AFTER INSERT ON hint_reveals BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = NEW.player_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_hint_update AFTER UPDATE ON hint_reveals BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id IN (OLD.player_id, NEW.player_id)
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_hint_delete AFTER DELETE ON hint_reveals BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = OLD.player_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER version_hint_delete;
DROP TRIGGER version_hint_update;
DROP TRIGGER version_hint_insert;
DROP TRIGGER progress_award;
-- +goose StatementBegin
CREATE TRIGGER progress_award AFTER INSERT ON awards BEGIN
    INSERT INTO progress (player_id, objective_id, cohort_id, done)
    SELECT NEW.player_id, NEW.objective_id, p.cohort_id, 1 FROM players p WHERE p.id = NEW.player_id
    ON CONFLICT (player_id, objective_id) DO UPDATE SET done = 1;
END;
-- +goose StatementEnd

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
