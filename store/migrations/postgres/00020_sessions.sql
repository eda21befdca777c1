-- +goose Up
-- Web sessions, in the schema of scs's postgresstore. As on SQLite, token
-- is the SHA-256 of the cookie's token.
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BYTEA NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
