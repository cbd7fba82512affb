-- kvalitet schema 26 (sqlite): a measure may come from the municipality's medborgardialog
-- (participation in e-förslag, e-dialogues and citizen budgets, published as measures; see
-- docs/dialogue.md). SQLite cannot change a column's CHECK, so the column is rebuilt beside
-- the old one (a column constraint goes with its column; the table is small). Keep in step
-- with ../postgres/0026_dialogue_measures.sql.

ALTER TABLE measure ADD COLUMN origin_next TEXT NOT NULL DEFAULT 'kolada'
    CHECK (origin_next IN ('kolada', 'own', 'assessment', 'service', 'dialogue'));
UPDATE measure SET origin_next = origin;
ALTER TABLE measure DROP COLUMN origin;
ALTER TABLE measure RENAME COLUMN origin_next TO origin;
