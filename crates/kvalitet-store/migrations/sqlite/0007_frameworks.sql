-- kvalitet schema 7 (sqlite): assessment frameworks (Kommunkompassen, Informationsindex, ...),
-- kept as the TOML text they were loaded from. Keep in step with ../postgres/0007_frameworks.sql.

-- A new version is a new row; results on different versions are not comparable.
CREATE TABLE framework (
    id          TEXT NOT NULL,
    version     TEXT NOT NULL,
    name        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
