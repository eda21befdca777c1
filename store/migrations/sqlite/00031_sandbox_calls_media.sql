-- +goose Up
-- The sandbox's calls. Like messages, they store where a call ends up
-- (final_status) and the status a client sees follows the call's age:
-- queued, ringing, in-progress, then final_status.
CREATE TABLE sandbox_calls (
    sid          TEXT PRIMARY KEY,
    account_sid  TEXT NOT NULL REFERENCES sandbox_accounts(sid) ON DELETE CASCADE,
    direction    TEXT NOT NULL,
    from_number  TEXT NOT NULL,
    to_number    TEXT NOT NULL,
    final_status TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_calls_account ON sandbox_calls (account_sid, created_at);

-- The media of the sandbox's MMS, one row per MediaUrl.
CREATE TABLE sandbox_media (
    sid          TEXT PRIMARY KEY,
    account_sid  TEXT NOT NULL REFERENCES sandbox_accounts(sid) ON DELETE CASCADE,
    message_sid  TEXT NOT NULL REFERENCES sandbox_messages(sid) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX sandbox_media_message ON sandbox_media (message_sid, created_at);

-- +goose Down
DROP TABLE sandbox_media;
DROP TABLE sandbox_calls;
