-- +goose Up
-- See the SQLite migration of the same number.
CREATE TABLE game_accounts (
    account_sid TEXT PRIMARY KEY,
    player_id   TEXT NOT NULL UNIQUE REFERENCES players(id) ON DELETE CASCADE,
    proof       TEXT NOT NULL,
    checked_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE game_accounts;
