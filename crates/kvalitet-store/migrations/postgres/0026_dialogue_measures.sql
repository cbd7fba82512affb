-- kvalitet schema 26 (PostgreSQL): a measure may come from the municipality's medborgardialog
-- (participation in e-förslag, e-dialogues and citizen budgets, published as measures; see
-- docs/dialogue.md). Keep in step with ../sqlite/0026_dialogue_measures.sql.

ALTER TABLE measure DROP CONSTRAINT IF EXISTS measure_origin_check;
ALTER TABLE measure ADD CONSTRAINT measure_origin_check
    CHECK (origin IN ('kolada', 'own', 'assessment', 'service', 'dialogue'));
