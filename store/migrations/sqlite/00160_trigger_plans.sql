-- +goose Up
-- Nothing to do on SQLite. The PostgreSQL migration of the same number
-- rewrites two of the triggers' helper functions in PL/pgSQL so that
-- their statements are planned once per connection; SQLite's triggers
-- are compiled with the statement that fires them and have no such
-- helpers. The version exists here so that both folders keep the same
-- versions.
SELECT 1;

-- +goose Down
SELECT 1;
