-- +goose Up
CREATE TABLE sandbox_calls (
    sid          TEXT PRIMARY KEY,
    account_sid  TEXT NOT NULL REFERENCES sandbox_accounts(sid) ON DELETE CASCADE,
    direction    TEXT NOT NULL,
    from_number  TEXT NOT NULL,
    to_number    TEXT NOT NULL,
    final_status TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    rowid        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX sandbox_calls_account ON sandbox_calls (account_sid, created_at);

CREATE TABLE sandbox_media (
    sid          TEXT PRIMARY KEY,
    account_sid  TEXT NOT NULL REFERENCES sandbox_accounts(sid) ON DELETE CASCADE,
    message_sid  TEXT NOT NULL REFERENCES sandbox_messages(sid) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    rowid        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX sandbox_media_message ON sandbox_media (message_sid, created_at);

-- +goose Down
DROP TABLE sandbox_media;
DROP TABLE sandbox_calls;
