-- kvalitet schema 18 (postgres): a published service round reopened to be corrected, with the reason
-- residents read. Keep in step with ../sqlite/0018_service_corrections.sql.

CREATE TABLE service_correction (
    round_id     BIGINT NOT NULL REFERENCES service_round (id) ON DELETE CASCADE,
    corrected_at TEXT NOT NULL,
    corrected_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (round_id, corrected_at)
);
