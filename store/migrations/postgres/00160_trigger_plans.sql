-- +goose Up
-- The triggers' helper functions, in PL/pgSQL rather than SQL, so that
-- their statements are planned once per connection.
--
-- A trigger calls progress_count_add (two or three times per attempt
-- that moves a count) and version_bump (once per award or change of
-- credentials) with PERFORM. A LANGUAGE SQL function called that way is
-- not inlined: PostgreSQL parses, analyses and plans its body at every
-- call, which was about a tenth of the database's CPU during a burst of
-- fresh HACKs (docs/performance.md). PL/pgSQL keeps the plan of each
-- statement for the life of the connection. The bodies are unchanged.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_count_add(c BIGINT, o TEXT, d INTEGER, f INTEGER, r TEXT, t BOOLEAN, delta INTEGER) RETURNS VOID AS $$
BEGIN
    INSERT INTO progress_counts (cohort_id, objective_id, done, failures, last_reason, tried, shard, n)
    VALUES (COALESCE(c, 0), o, d, f, r, t::INTEGER, pg_backend_pid() % 8, delta)
    ON CONFLICT (cohort_id, objective_id, done, failures, last_reason, tried, shard)
    DO UPDATE SET n = progress_counts.n + excluded.n;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION version_bump(ids TEXT[]) RETURNS VOID AS $$
BEGIN
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = ANY(ids)
    ON CONFLICT (player_id) DO UPDATE SET version = player_versions.version + 1;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION version_bump(ids TEXT[]) RETURNS VOID AS $$
    INSERT INTO player_versions (player_id, version) SELECT id, 1 FROM players WHERE id = ANY(ids)
    ON CONFLICT (player_id) DO UPDATE SET version = player_versions.version + 1;
$$ LANGUAGE SQL;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION progress_count_add(c BIGINT, o TEXT, d INTEGER, f INTEGER, r TEXT, t BOOLEAN, delta INTEGER) RETURNS VOID AS $$
    INSERT INTO progress_counts (cohort_id, objective_id, done, failures, last_reason, tried, shard, n)
    VALUES (COALESCE(c, 0), o, d, f, r, t::INTEGER, pg_backend_pid() % 8, delta)
    ON CONFLICT (cohort_id, objective_id, done, failures, last_reason, tried, shard)
    DO UPDATE SET n = progress_counts.n + excluded.n
$$ LANGUAGE SQL;
-- +goose StatementEnd
