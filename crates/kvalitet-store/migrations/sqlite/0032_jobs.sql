-- kvalitet schema 32 (sqlite): background jobs (docs/operations.md): work queued in the
-- database and claimed by one server at a time with a lease, tried again with backoff, and a
-- schedule's run queued once by its key however many servers plan it. Keep in step with
-- ../postgres/0032_jobs.sql.

CREATE TABLE job (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('sync', 'upkeep', 'reminders')),
    -- A JSON list of strings: for a sync, the arguments of `kvalitet sync`.
    args            TEXT NOT NULL,
    -- A schedule's run ("schedule:NAME:MOMENT"): queued once whoever plans it.
    unique_key      TEXT UNIQUE,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- Queued: not before this. Running: claimed at this.
    run_at          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    worker          TEXT,
    -- A running job whose lease ran out belongs to a server that died: it is claimed again.
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    last_error      TEXT
);
CREATE INDEX job_open ON job (run_at) WHERE state IN ('queued', 'running');
CREATE INDEX job_running ON job (kind) WHERE state = 'running';
