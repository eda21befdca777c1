-- +goose Up
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    key_hash       TEXT NOT NULL UNIQUE,
    key_prefix     TEXT NOT NULL,
    origins        TEXT NOT NULL DEFAULT '',
    signing_secret TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ
);

CREATE TABLE api_players (
    api_key_id  TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    player_id   TEXT NOT NULL UNIQUE REFERENCES players(id) ON DELETE CASCADE,
    PRIMARY KEY (api_key_id, external_id)
);

CREATE TABLE api_idempotency (
    api_key_id   TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);

-- +goose Down
DROP TABLE api_idempotency;
DROP TABLE api_players;
DROP TABLE api_keys;
