-- kvalitet schema 20 (sqlite): closed follow-up periods of goals with their frozen snapshots.
-- Keep in step with ../postgres/0020_goal_periods.sql.

-- A period closed by an administrator (T1, delår per 31 August, helår, ...): the follow-up of
-- the published plan as it stood then (values, signals, statuses and motivations) in the
-- documented JSON report format, never changed afterwards, so a report can be made again
-- exactly as the revisorer require.
CREATE TABLE goal_period (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    code            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('t1', 't2', 'interim', 'annual', 'other')),
    title           TEXT NOT NULL,
    year            INTEGER NOT NULL,
    closes_on       TEXT NOT NULL,
    plan_id         INTEGER NOT NULL REFERENCES goal_plan (id),
    snapshot        TEXT NOT NULL,
    taken_by        TEXT NOT NULL,
    taken_at        TEXT NOT NULL,
    UNIQUE (municipality_id, code)
);
