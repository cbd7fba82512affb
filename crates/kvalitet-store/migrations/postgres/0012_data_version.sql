-- kvalitet schema 12 (PostgreSQL): the data version as a counter of its own. Every transaction
-- that changes what residents see adds one as its last statement before committing (so the
-- row is locked only briefly), and the new number is seen only with the change. It replaces
-- the highest import batch id, which let two concurrent commits share one number and made
-- comments write fake import batches. Keep in step with ../sqlite/0012_data_version.sql.

CREATE TABLE data_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) SELECT 1, COALESCE(max(id), 0) FROM import_batch;
