-- +goose Up
-- The endpoints an API key's game listens on. secret (whsec_…, Standard
-- Webhooks) signs every delivery, so it must be recovered: sealed.
CREATE TABLE webhook_endpoints (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_key ON webhook_endpoints (api_key_id);

-- The outbox: one row per event and endpoint, written in the transaction
-- of the award it announces. id (the webhook-id) and payload are fixed at
-- insert, so every retry sends the same bytes under the same id. state is
-- pending until delivered, or failed once retries run out; next_at is when
-- the next attempt is due; locked_until is a delivery worker's lease.
CREATE TABLE webhook_events (
    id           TEXT PRIMARY KEY,
    endpoint_id  INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX webhook_events_due ON webhook_events (state, next_at);

-- Every delivery attempt, for instructors' eyes.
CREATE TABLE webhook_attempts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    status     INTEGER NOT NULL,
    latency_ms INTEGER NOT NULL,
    error      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
