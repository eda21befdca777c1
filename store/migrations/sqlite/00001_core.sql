-- +goose Up
-- Players are anonymous until they choose a display name.
CREATE TABLE players (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);

-- One set of Twilio credentials per player. sandbox marks credentials of a
-- sandbox account, which are checked against the built-in sandbox.
CREATE TABLE credentials (
    player_id   TEXT PRIMARY KEY REFERENCES players(id) ON DELETE CASCADE,
    account_sid TEXT NOT NULL,
    api_key_sid TEXT NOT NULL DEFAULT '',
    secret      TEXT NOT NULL,
    sandbox     INTEGER NOT NULL DEFAULT 0,
    updated_at  TIMESTAMP NOT NULL
);

-- Every attempt, whatever its outcome, with what Twilio returned.
CREATE TABLE submissions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    player_id         TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id      TEXT NOT NULL,
    raw_sid           TEXT NOT NULL,
    sid               TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL,
    msg_status        TEXT NOT NULL DEFAULT '',
    msg_direction     TEXT NOT NULL DEFAULT '',
    msg_to            TEXT NOT NULL DEFAULT '',
    msg_from          TEXT NOT NULL DEFAULT '',
    msg_body          TEXT NOT NULL DEFAULT '',
    msg_num_media     INTEGER NOT NULL DEFAULT 0,
    msg_date_created  TIMESTAMP,
    upstream_ms       INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX submissions_player ON submissions (player_id, objective_id, id);

-- One award per player and objective; a SID awards one player only. Both
-- are constraints, so concurrent attempts cannot award twice.
CREATE TABLE awards (
    player_id     TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id  TEXT NOT NULL,
    sid           TEXT NOT NULL,
    xp            INTEGER NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (player_id, objective_id),
    UNIQUE (objective_id, sid)
);

-- The Twilio-compatible sandbox: accounts, API keys and messages.
CREATE TABLE sandbox_accounts (
    sid           TEXT PRIMARY KEY,
    auth_token    TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE sandbox_keys (
    sid           TEXT PRIMARY KEY,
    account_sid   TEXT NOT NULL REFERENCES sandbox_accounts(sid) ON DELETE CASCADE,
    secret        TEXT NOT NULL,
    friendly_name TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL
);

-- final_status is where a message ends up; the status a client sees moves
-- queued -> sent -> final_status with the message's age, like Twilio's.
CREATE TABLE sandbox_messages (
    sid                   TEXT PRIMARY KEY,
    account_sid           TEXT NOT NULL REFERENCES sandbox_accounts(sid) ON DELETE CASCADE,
    direction             TEXT NOT NULL,
    from_number           TEXT NOT NULL,
    to_number             TEXT NOT NULL,
    body                  TEXT NOT NULL,
    num_media             INTEGER NOT NULL DEFAULT 0,
    messaging_service_sid TEXT NOT NULL DEFAULT '',
    final_status          TEXT NOT NULL,
    error_code            INTEGER,
    created_at            TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_messages_account ON sandbox_messages (account_sid, created_at);

-- Small server-wide facts, such as the demo sandbox account of `make run`.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE sandbox_messages;
DROP TABLE sandbox_keys;
DROP TABLE sandbox_accounts;
DROP TABLE awards;
DROP TABLE submissions;
DROP TABLE credentials;
DROP TABLE players;
