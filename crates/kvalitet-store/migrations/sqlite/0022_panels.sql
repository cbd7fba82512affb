-- kvalitet schema 22 (sqlite): citizen panels, their members and population margins, and
-- surveys as the panel's waves (docs/surveys.md). Keep in step with ../postgres/0022_panels.sql.

CREATE TABLE panel (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    code            TEXT NOT NULL,
    title           TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (municipality_id, code)
);

-- A member: how they were recruited (a probability sample from the population register, or
-- self-recruited), their background (variable -> level, JSON), when they joined and left,
-- and whom they replaced.
CREATE TABLE panel_member (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    panel_id    INTEGER NOT NULL REFERENCES panel (id) ON DELETE CASCADE,
    email       TEXT,
    background  TEXT NOT NULL,
    recruitment TEXT NOT NULL CHECK (recruitment IN ('probability', 'self')),
    joined_on   TEXT NOT NULL,
    left_on     TEXT,
    replaces_id INTEGER REFERENCES panel_member (id)
);
CREATE INDEX panel_member_panel ON panel_member (panel_id, id);

-- The population's shares on each background variable, as of a reference date: what the
-- panel is compared with and its waves are weighted to.
CREATE TABLE panel_margin (
    panel_id       INTEGER NOT NULL REFERENCES panel (id) ON DELETE CASCADE,
    variable       TEXT NOT NULL,
    level          TEXT NOT NULL,
    share          REAL NOT NULL,
    reference_date TEXT NOT NULL,
    PRIMARY KEY (panel_id, variable, level)
);

-- A survey sent to a panel is one of its waves; its invitations name the member, so
-- participation is counted per member across waves.
ALTER TABLE survey ADD COLUMN panel_id INTEGER REFERENCES panel (id);
ALTER TABLE survey_invitation ADD COLUMN member_id INTEGER REFERENCES panel_member (id) ON DELETE SET NULL;
