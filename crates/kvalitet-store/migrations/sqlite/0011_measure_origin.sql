-- kvalitet schema 11 (SQLite): where a measure comes from, so residents are told the source
-- of published results (an assessment, a service measurement) instead of "Kolada". Keep in
-- step with ../postgres/0011_measure_origin.sql.

ALTER TABLE measure ADD COLUMN origin TEXT NOT NULL DEFAULT 'kolada'
    CHECK (origin IN ('kolada', 'own', 'assessment', 'service'));

UPDATE measure SET origin = 'own' WHERE owner_municipality IS NOT NULL;
-- Published before this column: the service figures by their fixed ids, and assessment
-- results as the external measures with ids that are not Kolada's.
UPDATE measure SET origin = 'service' WHERE owner_municipality IS NULL AND id LIKE 'SERV-%';
UPDATE measure SET origin = 'assessment'
    WHERE owner_municipality IS NULL AND origin = 'kolada' AND source_kind = 'external'
      AND NOT (length(id) = 6 AND substr(id, 1, 1) IN ('N', 'U') AND substr(id, 2) GLOB '[0-9][0-9][0-9][0-9][0-9]');
