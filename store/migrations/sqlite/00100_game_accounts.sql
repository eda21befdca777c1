-- +goose Up
-- The players of a game that hands every player the same extension
-- (TwilioQuest), known by their Twilio account. proof is a SHA-256 of the
-- credentials Twilio last accepted for the account (quest.ProofOf), never
-- the secret: the same credentials again are not checked with Twilio twice.
CREATE TABLE game_accounts (
    account_sid TEXT PRIMARY KEY,
    player_id   TEXT NOT NULL UNIQUE REFERENCES players(id) ON DELETE CASCADE,
    proof       TEXT NOT NULL,
    checked_at  TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE game_accounts;
