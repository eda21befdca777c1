-- +goose Up
-- API keys of the games and course platforms that embed questgate. Only a
-- SHA-256 hash of the key is kept; signing_secret (for the widget's
-- tokens) must be recovered to verify, so it is sealed like credentials.
-- origins is a space-separated list of allowed origins (CORS, framing).
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    key_hash       TEXT NOT NULL UNIQUE,
    key_prefix     TEXT NOT NULL,
    origins        TEXT NOT NULL DEFAULT '',
    signing_secret TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    revoked_at     TIMESTAMP
);

-- The players a game names, kept apart per key: the same external id
-- under two keys is two players.
CREATE TABLE api_players (
    api_key_id  TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    player_id   TEXT NOT NULL UNIQUE REFERENCES players(id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, external_id)
);

-- Idempotency-Key answers: reserved (status 0) before the request runs,
-- so a concurrent duplicate finds the reservation, then completed with
-- the answer that retries get back.
CREATE TABLE api_idempotency (
    api_key_id   TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);

-- +goose Down
DROP TABLE api_idempotency;
DROP TABLE api_players;
DROP TABLE api_keys;
