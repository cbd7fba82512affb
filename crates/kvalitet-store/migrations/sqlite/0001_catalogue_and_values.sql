-- kvalitet schema 1 (SQLite): catalogue, values with revision history, import batches.
-- Keep in step with ../postgres/0001_catalogue_and_values.sql (a test checks the versions).

CREATE TABLE county (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    region_id   TEXT
);

CREATE TABLE municipality (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('kommun', 'region', 'riket')),
    county_code TEXT
);

CREATE TABLE municipality_group (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('skr_kommungrupp', 'similar_municipalities', 'county', 'network', 'custom'))
);

CREATE TABLE municipality_group_member (
    group_id        TEXT NOT NULL REFERENCES municipality_group (id) ON DELETE CASCADE,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    PRIMARY KEY (group_id, municipality_id)
);

CREATE TABLE municipality_neighbour (
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    neighbour_id    TEXT NOT NULL REFERENCES municipality (id),
    PRIMARY KEY (municipality_id, neighbour_id)
);

CREATE TABLE measure (
    id                    TEXT PRIMARY KEY,
    title                 TEXT NOT NULL,
    description           TEXT NOT NULL,
    unit                  TEXT,
    direction             TEXT NOT NULL CHECK (direction IN ('higher', 'lower', 'none')),
    source_kind           TEXT NOT NULL CHECK (source_kind IN ('national_statistics', 'own_reporting', 'survey', 'external')),
    owner_municipality    TEXT REFERENCES municipality (id),
    operating_area        TEXT,
    perspective           TEXT,
    is_divided_by_gender  BOOLEAN NOT NULL,
    municipality_type     TEXT,
    auspice               TEXT,
    publ_period           TEXT,
    prel_publication_date TEXT,
    publication_date      TEXT,
    has_ou_data           BOOLEAN NOT NULL,
    -- The latest catalogue year that described this measure.
    catalogue_year        INTEGER
);

-- Titles and definitions change over the years: one row per catalogue year.
CREATE TABLE measure_text (
    measure_id  TEXT NOT NULL REFERENCES measure (id) ON DELETE CASCADE,
    year        INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (measure_id, year)
);

CREATE TABLE kpi_group (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    parent_id   TEXT
);

CREATE TABLE kpi_group_member (
    group_id    TEXT NOT NULL REFERENCES kpi_group (id) ON DELETE CASCADE,
    measure_id  TEXT NOT NULL REFERENCES measure (id),
    position    INTEGER NOT NULL,
    PRIMARY KEY (group_id, measure_id)
);

CREATE TABLE measure_set (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL
);

CREATE TABLE measure_set_area (
    set_id      TEXT NOT NULL REFERENCES measure_set (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    PRIMARY KEY (set_id, position)
);

CREATE TABLE measure_set_item (
    set_id        TEXT NOT NULL REFERENCES measure_set (id) ON DELETE CASCADE,
    area_position INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    measure_id    TEXT NOT NULL REFERENCES measure (id),
    question      TEXT NOT NULL,
    PRIMARY KEY (set_id, area_position, position),
    UNIQUE (set_id, measure_id)
);

CREATE TABLE import_batch (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    format      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    inserted    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0
);

-- One row per measure x area (municipality or group) x year x gender. The area is not a
-- foreign key because it may be a municipality or a group; the import path checks it.
CREATE TABLE value (
    measure_id  TEXT NOT NULL,
    area_id     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    gender      TEXT NOT NULL CHECK (gender IN ('T', 'K', 'M')),
    value       REAL,
    status      TEXT CHECK (status IN ('not_published', 'not_reported', 'secret', 'not_applicable')),
    count       INTEGER,
    batch_id    INTEGER NOT NULL,
    PRIMARY KEY (measure_id, area_id, year, gender),
    CHECK ((value IS NULL) <> (status IS NULL))
) WITHOUT ROWID;

-- Earlier versions of values: written by the trigger below on every real change, and by
-- the store before a deletion.
CREATE TABLE value_revision (
    id          INTEGER PRIMARY KEY,
    measure_id  TEXT NOT NULL,
    area_id     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    gender      TEXT NOT NULL,
    value       REAL,
    status      TEXT,
    count       INTEGER,
    batch_id    INTEGER NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('updated', 'deleted')),
    replaced_by INTEGER NOT NULL,
    replaced_at TEXT NOT NULL
);

CREATE INDEX value_revision_by_key ON value_revision (measure_id, area_id, year, gender);
CREATE INDEX value_revision_by_batch ON value_revision (replaced_by);

CREATE TRIGGER value_keep_revision AFTER UPDATE ON value
WHEN OLD.value IS NOT NEW.value OR OLD.status IS NOT NEW.status OR OLD.count IS NOT NEW.count
BEGIN
    INSERT INTO value_revision (measure_id, area_id, year, gender, value, status, count, batch_id, change, replaced_by, replaced_at)
    VALUES (OLD.measure_id, OLD.area_id, OLD.year, OLD.gender, OLD.value, OLD.status, OLD.count, OLD.batch_id,
            'updated', NEW.batch_id, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
END;
