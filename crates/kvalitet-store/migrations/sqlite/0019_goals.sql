-- kvalitet schema 19 (sqlite): goal plans (docs/goals.md) and the official statuses of goals.
-- Keep in step with ../postgres/0019_goals.sql.

-- A plan as imported, in its documented file format (TOML or JSON), checked before it was
-- stored: one draft per municipality at most, one published, earlier ones superseded and kept.
CREATE TABLE goal_plan (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    status          TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    source          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    published_by    TEXT,
    published_at    TEXT
);
CREATE UNIQUE INDEX goal_plan_one_draft ON goal_plan (municipality_id) WHERE status = 'draft';
CREATE UNIQUE INDEX goal_plan_one_published ON goal_plan (municipality_id) WHERE status = 'published';

-- Official statuses as judged, newest last; a goal's status is its latest row. Kept across
-- plan versions: a goal keeps its id.
CREATE TABLE goal_status (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    goal_id         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('fulfilled', 'partly', 'not_fulfilled', 'cannot_assess')),
    motivation      TEXT NOT NULL,
    set_by          TEXT NOT NULL,
    set_at          TEXT NOT NULL
);
CREATE INDEX goal_status_goal ON goal_status (municipality_id, goal_id, id);
