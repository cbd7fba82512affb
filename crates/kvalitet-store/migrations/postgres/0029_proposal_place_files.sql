-- kvalitet schema 29 (PostgreSQL): a proposal's optional place on the map (WGS84 in millionths
-- of a degree, so equal places are equal numbers) and the files attached to it, checked
-- before they are kept (docs/dialogue.md). A file waits with its proposal's confirmation
-- (token_hash) and moves to the proposal when the link is followed; one never confirmed
-- goes with its expired link. Keep in step with ../sqlite/0029_proposal_place_files.sql.

ALTER TABLE proposal ADD COLUMN place_lat_e6 BIGINT;
ALTER TABLE proposal ADD COLUMN place_lon_e6 BIGINT;

CREATE TABLE proposal_attachment (
    id              BIGSERIAL PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    token_hash      TEXT,
    proposal_id     BIGINT REFERENCES proposal (id),
    position        BIGINT NOT NULL,
    file_name       TEXT NOT NULL,
    media_type      TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes      BIGINT NOT NULL,
    content         BYTEA NOT NULL,
    created_at      TEXT NOT NULL,
    CHECK ((token_hash IS NULL) <> (proposal_id IS NULL))
);
CREATE INDEX proposal_attachment_waiting ON proposal_attachment (token_hash);
CREATE INDEX proposal_attachment_proposal ON proposal_attachment (proposal_id, position);
