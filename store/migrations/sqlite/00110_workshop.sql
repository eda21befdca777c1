-- +goose Up
-- The instructor's workshop day (issue 18): a cohort's event window and
-- its rule for who is stuck, announcements, hint reveals and the roster.

-- One row per cohort that has set any of it. starts_at and ends_at are in
-- UTC (NULL: no bound); time_zone is the IANA zone the instructor typed
-- them in, so the form shows them back the same way.
CREATE TABLE cohort_events (
    cohort_id      INTEGER PRIMARY KEY REFERENCES cohorts(id) ON DELETE CASCADE,
    starts_at      TIMESTAMP,
    ends_at        TIMESTAMP,
    time_zone      TEXT NOT NULL DEFAULT 'UTC',
    stuck_failures INTEGER NOT NULL DEFAULT 3,
    stuck_minutes  INTEGER NOT NULL DEFAULT 10
);

-- Messages from an instructor to one cohort (cohort_id) or to everyone
-- (NULL), kept and listed with who sent them.
CREATE TABLE announcements (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id     INTEGER REFERENCES cohorts(id) ON DELETE CASCADE,
    instructor_id INTEGER REFERENCES instructors(id) ON DELETE SET NULL,
    body          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX announcements_cohort ON announcements (cohort_id, id);

-- The hints a player revealed, one row per stage, with the XP it cost.
CREATE TABLE hint_reveals (
    player_id    TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id TEXT NOT NULL,
    stage        INTEGER NOT NULL,
    cost         INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (player_id, objective_id, stage)
);
CREATE INDEX hint_reveals_objective ON hint_reveals (objective_id);

-- A cohort's roster: one line per imported name (and e-mail), each with a
-- personal join link (token); player_id is set once the link was used.
CREATE TABLE roster (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id  INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    token      TEXT NOT NULL UNIQUE,
    player_id  TEXT REFERENCES players(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (cohort_id, name, email)
);

-- +goose Down
DROP TABLE roster;
DROP INDEX hint_reveals_objective;
DROP TABLE hint_reveals;
DROP INDEX announcements_cohort;
DROP TABLE announcements;
DROP TABLE cohort_events;
