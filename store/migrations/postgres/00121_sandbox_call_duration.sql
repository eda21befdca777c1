-- +goose Up
-- How long a sandbox call lasts once answered, in whole seconds, chosen
-- when it is placed (from its TwiML): what its duration field says when
-- it completes. 0 for the calls placed before, which keep the old rule
-- (one step).
ALTER TABLE sandbox_calls ADD COLUMN duration_s INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sandbox_calls DROP COLUMN duration_s;
