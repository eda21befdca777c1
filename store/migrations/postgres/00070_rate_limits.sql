-- +goose Up
-- Rate-limit budgets that every instance shares (store.DBLimiter): one row
-- per key whose budget is not full, holding its theoretical arrival time
-- (ratelimit's GCRA) in Unix nanoseconds, so both databases compare it as
-- a plain integer.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);

-- +goose Down
DROP TABLE rate_limits;
