-- kvalitet schema 6 (sqlite): invitations, links with which a person creates an account with
-- a role in a municipality. Keep in step with ../postgres/0006_invitations.sql.

-- Only a hash of the link's token is kept; an invitation is used once and expires.
CREATE TABLE invitation (
    token_hash      TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    role            TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
);
