-- +goose Up
-- Web sessions (alexedwards/scs, the schema of its sqlite3store). The
-- token column holds the SHA-256 of the cookie's token (scs's
-- HashTokenInStore), so a copy of the database opens no session.
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry REAL NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
