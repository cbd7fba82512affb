-- kvalitet schema 16 (sqlite): an upload of values checked and shown as a preview (new, changed and
-- unchanged against what is published), kept until the person saves it as drafts or it is an
-- hour old. Keep in step with ../postgres/0016_upload_preview.sql.

-- Only a hash of the preview's token is kept; the rows are the checked values as text.
CREATE TABLE upload_preview (
    token_hash      TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    user_id         INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    rows_text       TEXT NOT NULL
);
