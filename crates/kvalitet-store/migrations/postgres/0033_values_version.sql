-- kvalitet schema 33 (PostgreSQL): a second counter beside the data version, moved only by changes
-- to what the catalogue and the measures' values are made from (values, measures, sets,
-- municipalities, rounds' results). Pages key on the data version; the catalogue and the
-- values loaded for them key on this one, so a changed introduction or comment re-renders
-- pages without reloading unchanged numbers on every server. Keep in step with
-- ../sqlite/0033_values_version.sql.

ALTER TABLE data_version ADD COLUMN values_version BIGINT NOT NULL DEFAULT 0;
UPDATE data_version SET values_version = version;
