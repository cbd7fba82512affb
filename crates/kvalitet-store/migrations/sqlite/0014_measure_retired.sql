-- kvalitet schema 14 (sqlite): when a municipality retired one of its own measures. A retired
-- measure keeps its values and pages but is no longer offered for new values. Keep in step
-- with ../postgres/0014_measure_retired.sql.

ALTER TABLE measure ADD COLUMN retired_at TEXT;
