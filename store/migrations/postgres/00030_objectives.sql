-- +goose Up
CREATE TABLE objective_opens (
    player_id    TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id TEXT NOT NULL,
    opened_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (player_id, objective_id)
);

CREATE TABLE player_numbers (
    player_id  TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    number     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    rowid      BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (player_id, number)
);

ALTER TABLE awards ADD COLUMN items TEXT NOT NULL DEFAULT '';

CREATE INDEX submissions_player_time ON submissions (player_id, objective_id, created_at);

-- +goose Down
DROP INDEX submissions_player_time;
ALTER TABLE awards DROP COLUMN items;
DROP TABLE player_numbers;
DROP TABLE objective_opens;
