-- +goose Up
-- A cohort is a group of players, usually one workshop, which players join
-- with a link carrying its unguessable join code. A player belongs to at
-- most one cohort.
CREATE TABLE cohorts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    join_code  TEXT NOT NULL UNIQUE,
    archived   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

ALTER TABLE players ADD COLUMN cohort_id INTEGER REFERENCES cohorts(id) ON DELETE SET NULL;
CREATE INDEX players_cohort ON players (cohort_id);

-- +goose Down
DROP INDEX players_cohort;
ALTER TABLE players DROP COLUMN cohort_id;
DROP TABLE cohorts;
