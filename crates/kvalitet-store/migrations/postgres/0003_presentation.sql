-- kvalitet schema 3 (PostgreSQL): how measures are presented to residents (measure sets with
-- English texts and participants, measure profiles with direction and precision), and the
-- map shapes of municipalities. Keep in step with ../sqlite/0003_presentation.sql.

ALTER TABLE measure_set ADD COLUMN title_en TEXT;
ALTER TABLE measure_set ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE measure_set ADD COLUMN description_en TEXT;
ALTER TABLE measure_set_area ADD COLUMN title_en TEXT;

-- A set may name measures before the catalogue that defines them is loaded (a shipped set
-- on a fresh instance), so items no longer reference the measure table.
ALTER TABLE measure_set_item DROP CONSTRAINT IF EXISTS measure_set_item_measure_id_fkey;
ALTER TABLE measure_set_item ADD COLUMN question_en TEXT;

-- The municipalities taking part in a set's comparison (KKiK's participants); none = all kommuner.
CREATE TABLE measure_set_participant (
    set_id          TEXT NOT NULL REFERENCES measure_set (id) ON DELETE CASCADE,
    municipality_id TEXT NOT NULL,
    PRIMARY KEY (set_id, municipality_id)
);

-- How a measure is shown and compared; written by measure sets, the latest one wins.
CREATE TABLE measure_profile (
    measure_id  TEXT PRIMARY KEY,
    direction   TEXT NOT NULL CHECK (direction IN ('higher', 'lower', 'none')),
    decimals    BIGINT NOT NULL CHECK (decimals BETWEEN 0 AND 6),
    unit        TEXT,
    unit_en     TEXT,
    question    TEXT NOT NULL,
    question_en TEXT
);

-- A municipality's outline as an SVG path in the map's coordinate space (see
-- kvalitet-formats' GeoJSON reader for the projection).
CREATE TABLE area_shape (
    area_id     TEXT PRIMARY KEY,
    svg_path    TEXT NOT NULL
);
