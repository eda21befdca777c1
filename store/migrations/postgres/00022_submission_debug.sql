-- +goose Up
-- What support staff need to find an attempt again: the verifier's
-- detail, the request id of its log lines, and whose account it used
-- (account_kind: real, sandbox, demo or none). No secret is ever kept here.
ALTER TABLE submissions ADD COLUMN detail TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN account_sid TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN account_kind TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE submissions DROP COLUMN account_kind;
ALTER TABLE submissions DROP COLUMN account_sid;
ALTER TABLE submissions DROP COLUMN request_id;
ALTER TABLE submissions DROP COLUMN detail;
