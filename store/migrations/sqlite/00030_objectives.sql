-- +goose Up
-- When a player first opened each objective: checks.created_after_opened
-- refuses what was made before.
CREATE TABLE objective_opens (
    player_id    TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id TEXT NOT NULL,
    opened_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (player_id, objective_id)
);

-- Phone numbers a player registered, for checks.registered_number.
CREATE TABLE player_numbers (
    player_id  TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    number     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (player_id, number)
);

-- The item rewards granted with an award, space-separated ids.
ALTER TABLE awards ADD COLUMN items TEXT NOT NULL DEFAULT '';

-- Counting a player's attempts at an objective within a window.
CREATE INDEX submissions_player_time ON submissions (player_id, objective_id, created_at);

-- +goose Down
DROP INDEX submissions_player_time;
ALTER TABLE awards DROP COLUMN items;
DROP TABLE player_numbers;
DROP TABLE objective_opens;
