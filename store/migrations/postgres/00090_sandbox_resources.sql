-- +goose Up
-- The sandbox's resources beyond messages and calls: phone numbers
-- (IncomingPhoneNumbers), Messaging Services and the numbers in their
-- sender pools, Verify services and their verifications. One table for
-- all of them: the sandbox reads and writes each as a whole (data holds
-- its fields as JSON), and only ever looks them up by account, kind,
-- parent and one key, so a table per resource would add SQL, not safety.
--   kind        what the row is ("phone_number", "messaging_service", …)
--   parent_sid  the service a pool number or a verification belongs to
--   unique_key  what must be unique among the parent's rows of this kind
--               (a number's phone_number); NULL when nothing is
--   lookup      a second key lists filter on (a verification's To)
CREATE TABLE sandbox_resources (
    sid         TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES sandbox_accounts(sid) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    parent_sid  TEXT NOT NULL,
    unique_key  TEXT,
    lookup      TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    rowid       BIGINT GENERATED ALWAYS AS IDENTITY,
    UNIQUE (account_sid, kind, parent_sid, unique_key)
);
CREATE INDEX sandbox_resources_list ON sandbox_resources (account_sid, kind, parent_sid, created_at);
-- What each account has used of its quota of such resources (see
-- store.TakeSandboxQuota).
ALTER TABLE sandbox_accounts ADD COLUMN resources_used INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sandbox_accounts DROP COLUMN resources_used;
DROP TABLE sandbox_resources;
