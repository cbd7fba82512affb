-- kvalitet schema 31 (sqlite): Sveriges Kvalitetskommun after the screening (docs/reports.md):
-- the four step-2 descriptions a kommun writes per award year with their evidence links
-- (JSON list of {title, link}), the year's nominees, and the jurors' scores per nominee and
-- criterion, private until the year's jury result is published. Keep in step with
-- ../postgres/0031_award.sql.

CREATE TABLE award_narrative (
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    year            INTEGER NOT NULL,
    theme           TEXT NOT NULL CHECK (theme IN ('digitalisering', 'ledarskap', 'samspel', 'omstallning')),
    body            TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    saved_by        TEXT NOT NULL,
    saved_at        TEXT NOT NULL,
    PRIMARY KEY (municipality_id, year, theme)
);

CREATE TABLE award_year (
    year            INTEGER PRIMARY KEY,
    published_by    TEXT,
    published_at    TEXT
);

CREATE TABLE award_nominee (
    year            INTEGER NOT NULL REFERENCES award_year (year),
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    PRIMARY KEY (year, municipality_id)
);

CREATE TABLE award_score (
    year            INTEGER NOT NULL,
    municipality_id TEXT NOT NULL,
    criterion       TEXT NOT NULL CHECK (criterion IN ('resultat', 'ekonomi', 'hme', 'kommunkompassen', 'beskrivningar')),
    juror           TEXT NOT NULL,
    score           INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    note            TEXT NOT NULL,
    scored_at       TEXT NOT NULL,
    PRIMARY KEY (year, municipality_id, criterion, juror),
    FOREIGN KEY (year, municipality_id) REFERENCES award_nominee (year, municipality_id) ON DELETE CASCADE
);
