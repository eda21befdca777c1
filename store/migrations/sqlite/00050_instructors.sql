-- +goose Up
-- Instructors sign in with an email and a password (bcrypt hash).
CREATE TABLE instructors (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

-- Awards may now be given by hand: such an award has no submission and no
-- SID, and names the instructor who gave it. SQLite cannot relax NOT NULL
-- in place, so the table is rebuilt.
CREATE TABLE awards_new (
    player_id     TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id  TEXT NOT NULL,
    sid           TEXT,
    xp            INTEGER NOT NULL,
    submission_id INTEGER REFERENCES submissions(id) ON DELETE SET NULL,
    awarded_by    INTEGER REFERENCES instructors(id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL,
    items         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (player_id, objective_id),
    UNIQUE (objective_id, sid)
);
INSERT INTO awards_new (player_id, objective_id, sid, xp, submission_id, created_at, items)
    SELECT player_id, objective_id, sid, xp, submission_id, created_at, items FROM awards;
DROP TABLE awards;
ALTER TABLE awards_new RENAME TO awards;

-- Every manual change to a player's awards, shown on the player's page.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    player_id     TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id  TEXT NOT NULL,
    action        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    instructor_id INTEGER REFERENCES instructors(id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_player ON audit_log (player_id, id);

-- Where an attempt came from, shown to instructors (not to players).
ALTER TABLE submissions ADD COLUMN ip TEXT NOT NULL DEFAULT '';

-- The instructors' submission views filter on these, newest first.
CREATE INDEX submissions_objective ON submissions (objective_id, id);
CREATE INDEX submissions_reason ON submissions (reason, id);
CREATE INDEX submissions_sid ON submissions (sid);
CREATE INDEX submissions_created ON submissions (created_at);

-- +goose Down
DROP INDEX submissions_created;
DROP INDEX submissions_sid;
DROP INDEX submissions_reason;
DROP INDEX submissions_objective;
ALTER TABLE submissions DROP COLUMN ip;
DROP TABLE audit_log;
CREATE TABLE awards_old (
    player_id     TEXT NOT NULL REFERENCES players(id) ON DELETE CASCADE,
    objective_id  TEXT NOT NULL,
    sid           TEXT NOT NULL,
    xp            INTEGER NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    items         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (player_id, objective_id),
    UNIQUE (objective_id, sid)
);
INSERT INTO awards_old SELECT player_id, objective_id, sid, xp, submission_id, created_at, items
    FROM awards WHERE sid IS NOT NULL AND submission_id IS NOT NULL;
DROP TABLE awards;
ALTER TABLE awards_old RENAME TO awards;
DROP TABLE instructors;
