-- kvalitet schema 5 (postgres): the municipality's own values as drafts until published, and
-- comments per measure and year. Keep in step with ../sqlite/0005_drafts_and_comments.sql.

-- A draft is never shown to residents or served by the APIs; publishing moves it into
-- value through the import path (with its revision history).
CREATE TABLE draft_value (
    measure_id  TEXT NOT NULL,
    area_id     TEXT NOT NULL,
    year        BIGINT NOT NULL,
    gender      TEXT NOT NULL CHECK (gender IN ('T', 'K', 'M')),
    value       DOUBLE PRECISION,
    status      TEXT CHECK (status IN ('not_published', 'not_reported', 'secret', 'not_applicable')),
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (measure_id, area_id, year, gender),
    CHECK ((value IS NULL) <> (status IS NULL))
);

-- The municipality's comment on a measure and year, shown to residents with the value.
CREATE TABLE measure_comment (
    measure_id      TEXT NOT NULL,
    municipality_id TEXT NOT NULL,
    year            BIGINT NOT NULL,
    body            TEXT NOT NULL,
    author          TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (measure_id, municipality_id, year)
);
