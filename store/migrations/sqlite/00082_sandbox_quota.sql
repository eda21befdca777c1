-- +goose Up
-- What each sandbox account has used of its quota (see
-- store.TakeSandboxQuota): counters rather than counts of rows, so that
-- taking from the quota is one conditional UPDATE, atomic on both
-- databases. Existing accounts start from what they already hold.
ALTER TABLE sandbox_accounts ADD COLUMN messages_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sandbox_accounts ADD COLUMN calls_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sandbox_accounts ADD COLUMN media_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sandbox_accounts ADD COLUMN keys_used INTEGER NOT NULL DEFAULT 0;
UPDATE sandbox_accounts SET
    messages_used = (SELECT COUNT(*) FROM sandbox_messages m WHERE m.account_sid = sandbox_accounts.sid),
    calls_used = (SELECT COUNT(*) FROM sandbox_calls c WHERE c.account_sid = sandbox_accounts.sid),
    media_used = (SELECT COUNT(*) FROM sandbox_media d WHERE d.account_sid = sandbox_accounts.sid),
    keys_used = (SELECT COUNT(*) FROM sandbox_keys k WHERE k.account_sid = sandbox_accounts.sid);

-- +goose Down
ALTER TABLE sandbox_accounts DROP COLUMN keys_used;
ALTER TABLE sandbox_accounts DROP COLUMN media_used;
ALTER TABLE sandbox_accounts DROP COLUMN calls_used;
ALTER TABLE sandbox_accounts DROP COLUMN messages_used;
