-- +goose Up
-- A version per player, moved on by triggers whenever anything an attempt
-- reads of the player before its work changes: their awards, their
-- credentials, their cohort, and their cohort's event window (issue 19).
-- The version is read with the player, in the session's read of them,
-- and a store answers those reads from memory while it has not moved
-- (store.playerCache). The triggers run in the writer's own transaction,
-- whoever the writer is (this server, a CLI command, another instance),
-- so no change can be missed. A player with no row is at version 0.
CREATE TABLE player_versions (
    player_id TEXT PRIMARY KEY REFERENCES players(id) ON DELETE CASCADE,
    version   INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER version_award_insert AFTER INSERT ON awards BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = NEW.player_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_award_update AFTER UPDATE ON awards BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id IN (OLD.player_id, NEW.player_id)
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_award_delete AFTER DELETE ON awards BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = OLD.player_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_credentials_insert AFTER INSERT ON credentials BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = NEW.player_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_credentials_update AFTER UPDATE ON credentials BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id IN (OLD.player_id, NEW.player_id)
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_credentials_delete AFTER DELETE ON credentials BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = OLD.player_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_cohort_moved AFTER UPDATE OF cohort_id ON players
WHEN OLD.cohort_id IS NOT NEW.cohort_id BEGIN
    INSERT INTO player_versions (player_id, version) VALUES (NEW.id, 1)
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_event_insert AFTER INSERT ON cohort_events BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE cohort_id = NEW.cohort_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_event_update AFTER UPDATE ON cohort_events BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE cohort_id IN (OLD.cohort_id, NEW.cohort_id)
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER version_event_delete AFTER DELETE ON cohort_events BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE cohort_id = OLD.cohort_id
    ON CONFLICT (player_id) DO UPDATE SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER version_event_delete;
DROP TRIGGER version_event_update;
DROP TRIGGER version_event_insert;
DROP TRIGGER version_cohort_moved;
DROP TRIGGER version_credentials_delete;
DROP TRIGGER version_credentials_update;
DROP TRIGGER version_credentials_insert;
DROP TRIGGER version_award_delete;
DROP TRIGGER version_award_update;
DROP TRIGGER version_award_insert;
DROP TABLE player_versions;
