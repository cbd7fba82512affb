-- kvalitet schema 23 (sqlite): citizen-budget rounds, their projects, the participants' one-time
-- codes and the ballots, kept apart from the codes (docs/dialogue.md). Keep in step with
-- ../postgres/0023_budget.sql.

-- A round: draft (projects proposed and judged), open (voting by the published rules between
-- first_day and last_day, Swedish days), counted (the result stored as counted at close).
CREATE TABLE budget_round (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    code            TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- The money to share, in whole kronor.
    amount          INTEGER NOT NULL CHECK (amount > 0),
    ballot_kind     TEXT NOT NULL CHECK (ballot_kind IN ('approval', 'points')),
    -- Approval: the most projects one may tick (NULL: as many as fit in the amount).
    max_projects    INTEGER,
    -- Points: the points each participant spreads.
    points          INTEGER NOT NULL,
    rule            TEXT NOT NULL CHECK (rule IN ('greedy', 'mes', 'mes-add1')),
    first_day       TEXT NOT NULL,
    last_day        TEXT NOT NULL,
    -- The residence areas a participant declares, one per line; empty: none asked.
    areas           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'counted')),
    -- The lot drawn when voting opened: the projects' ids in drawn order, comma-separated.
    lot             TEXT,
    -- The count made at close (JSON, docs/dialogue.md).
    result          TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    opened_at       TEXT,
    counted_at      TEXT,
    UNIQUE (municipality_id, code)
);

-- A project: on the ballot once judged feasible; the reason is published either way.
CREATE TABLE budget_project (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id           INTEGER NOT NULL REFERENCES budget_round (id) ON DELETE CASCADE,
    code               TEXT NOT NULL,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    cost               INTEGER NOT NULL CHECK (cost > 0),
    area               TEXT NOT NULL,
    proposed_by        TEXT NOT NULL CHECK (proposed_by IN ('resident', 'staff')),
    feasibility        TEXT NOT NULL CHECK (feasibility IN ('pending', 'feasible', 'infeasible')),
    feasibility_reason TEXT NOT NULL,
    UNIQUE (round_id, code)
);
CREATE INDEX budget_project_round ON budget_project (round_id, id);

-- A participant's one-time code: only its hash is kept; voted_at marks it used. The ballot
-- is not tied to it.
CREATE TABLE budget_voter (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id   INTEGER NOT NULL REFERENCES budget_round (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    voted_at   TEXT,
    -- A batch of ballots finds its codes by round and hash in one statement.
    UNIQUE (round_id, code_hash)
);

-- A ballot: the projects chosen with their points (JSON [[project id, points], ...]), the
-- residence area declared (empty when none asked) and only the day.
CREATE TABLE budget_ballot (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id INTEGER NOT NULL REFERENCES budget_round (id) ON DELETE CASCADE,
    choices  TEXT NOT NULL,
    area     TEXT NOT NULL,
    cast_on  TEXT NOT NULL
);
CREATE INDEX budget_ballot_round ON budget_ballot (round_id, id);
