-- kvalitet schema 2 (SQLite): sync runs, so an interrupted sync can resume.
-- Keep in step with ../postgres/0002_sync_runs.sql.

-- One `kvalitet sync` with its source and options; unfinished runs are resumed.
CREATE TABLE sync_run (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    options     TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);

-- The queries (first page URL) a run has imported completely; a resumed run skips them.
CREATE TABLE sync_query (
    run_id      INTEGER NOT NULL REFERENCES sync_run (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    PRIMARY KEY (run_id, url)
);
