-- kvalitet schema 30 (sqlite): e-förslag only from residents, when a municipality asks for it
-- (docs/dialogue.md): the residence areas offered, one per line (empty: residence not
-- asked), and the area a proposer or signer declared living in. Keep in step with
-- ../postgres/0030_proposal_residence.sql.

ALTER TABLE proposal_settings ADD COLUMN residence_areas TEXT NOT NULL DEFAULT '';
ALTER TABLE proposal ADD COLUMN residence_area TEXT;
ALTER TABLE proposal_signature ADD COLUMN residence_area TEXT;
