-- kvalitet schema 13 (sqlite): the municipality's own introduction to its results, shown at
-- the top of its page. Every save is a new row, so each earlier version stays readable
-- (the newest row is the one shown; an empty text withdraws it). Keep in step with
-- ../postgres/0013_introduction.sql.

CREATE TABLE municipality_introduction (
    id              INTEGER PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    body            TEXT NOT NULL,
    body_en         TEXT NOT NULL,
    author          TEXT NOT NULL,
    written_at      TEXT NOT NULL
);
CREATE INDEX municipality_introduction_newest ON municipality_introduction (municipality_id, id);
