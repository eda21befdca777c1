-- +goose Up
-- A version per player, moved on by triggers whenever anything an attempt
-- reads of the player before its work changes: their awards, their
-- credentials, their cohort, and their cohort's event window (issue 19).
-- The version is read with the player, in the session's read of them,
-- and a store answers those reads from memory while it has not moved
-- (store.playerCache). The triggers run in the writer's own transaction,
-- whoever the writer is (this instance, another, a CLI command), so no
-- change can be missed. A player with no row is at version 0.
--
-- The versions are a table of their own, not a column of players: an
-- award's transaction then never locks the player's row, which an
-- instructor moving the player to another cohort locks before the
-- progress rows (the award locks the progress rows first). The triggers
-- are named to fire after the progress ones on the same table, so that
-- every transaction takes player_versions last.
CREATE TABLE player_versions (
    player_id TEXT PRIMARY KEY REFERENCES players(id) ON DELETE CASCADE,
    version   BIGINT NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION version_bump(ids TEXT[]) RETURNS VOID AS $$
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = ANY(ids)
    ON CONFLICT (player_id) DO UPDATE SET version = player_versions.version + 1;
$$ LANGUAGE SQL;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION version_player_row() RETURNS TRIGGER AS $$
BEGIN
    CASE TG_OP
    WHEN 'INSERT' THEN PERFORM version_bump(ARRAY[NEW.player_id]);
    WHEN 'UPDATE' THEN PERFORM version_bump(ARRAY[OLD.player_id, NEW.player_id]);
    ELSE PERFORM version_bump(ARRAY[OLD.player_id]);
    END CASE;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER version_award AFTER INSERT OR UPDATE OR DELETE ON awards
    FOR EACH ROW EXECUTE FUNCTION version_player_row();
CREATE TRIGGER version_credentials AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION version_player_row();

-- +goose StatementBegin
CREATE FUNCTION version_cohort_moved() RETURNS TRIGGER AS $$
BEGIN
    PERFORM version_bump(ARRAY[NEW.id]);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER version_cohort_moved AFTER UPDATE OF cohort_id ON players FOR EACH ROW
    WHEN (OLD.cohort_id IS DISTINCT FROM NEW.cohort_id) EXECUTE FUNCTION version_cohort_moved();

-- +goose StatementBegin
CREATE FUNCTION version_event() RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO player_versions (player_id, version)
    SELECT id, 1 FROM players
    WHERE cohort_id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.cohort_id END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.cohort_id END)
    ON CONFLICT (player_id) DO UPDATE SET version = player_versions.version + 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER version_event AFTER INSERT OR UPDATE OR DELETE ON cohort_events
    FOR EACH ROW EXECUTE FUNCTION version_event();

-- +goose Down
DROP TRIGGER version_event ON cohort_events;
DROP FUNCTION version_event();
DROP TRIGGER version_cohort_moved ON players;
DROP FUNCTION version_cohort_moved();
DROP TRIGGER version_credentials ON credentials;
DROP TRIGGER version_award ON awards;
DROP FUNCTION version_player_row();
DROP FUNCTION version_bump(TEXT[]);
DROP TABLE player_versions;
