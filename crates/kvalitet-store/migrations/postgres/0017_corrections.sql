-- kvalitet schema 17 (postgres): corrections of what is published, each with a reason residents see.
-- Keep in step with ../sqlite/0017_corrections.sql.

-- Why a draft changes a published value; publishing puts it before the value's comment.
ALTER TABLE draft_value ADD COLUMN reason TEXT;

-- A published assessment round reopened to be corrected: when, by whom and why. The public
-- report lists every correction; the round is published again through the same steps.
CREATE TABLE assessment_correction (
    round_id     BIGINT NOT NULL REFERENCES assessment_round (id) ON DELETE CASCADE,
    corrected_at TEXT NOT NULL,
    corrected_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (round_id, corrected_at)
);
