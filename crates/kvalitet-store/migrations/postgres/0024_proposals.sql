-- kvalitet schema 24 (postgres): e-förslag (citizen proposals) with the municipality's
-- published rules, signatures kept as address hashes, the e-mail confirmations that complete
-- a resident's step, and their throttle (docs/dialogue.md). Keep in step with
-- ../sqlite/0024_proposals.sql.

-- A municipality's rules: the threshold (signatures, or tenths of a per mille of residents),
-- the days a proposal may be signed, the working days the nämnd promises a decision within.
CREATE TABLE proposal_settings (
    municipality_id     TEXT PRIMARY KEY REFERENCES municipality (id),
    threshold_kind      TEXT NOT NULL CHECK (threshold_kind IN ('signatures', 'per_mille')),
    threshold_value     BIGINT NOT NULL CHECK (threshold_value > 0),
    signing_days        BIGINT NOT NULL CHECK (signing_days > 0),
    answer_working_days BIGINT NOT NULL CHECK (answer_working_days > 0),
    -- The areas a proposal is filed under, one per line.
    areas               TEXT NOT NULL,
    rules               TEXT NOT NULL,
    updated_by          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

-- A proposal: awaiting moderation, published (signing; threshold reached; decided) or
-- rejected with its reason. The proposer's address is kept for the notices of moderation and
-- decision only and never shown.
CREATE TABLE proposal (
    id                   BIGSERIAL PRIMARY KEY,
    municipality_id      TEXT NOT NULL REFERENCES municipality (id),
    number               BIGINT NOT NULL,
    title                TEXT NOT NULL,
    body                 TEXT NOT NULL,
    area                 TEXT NOT NULL,
    author_name          TEXT,
    author_email         TEXT NOT NULL,
    moderation           TEXT NOT NULL CHECK (moderation IN ('pending', 'published', 'rejected')),
    reason               TEXT NOT NULL DEFAULT '',
    committee            TEXT NOT NULL DEFAULT '',
    published_on         TEXT,
    signing_ends_on      TEXT,
    threshold            BIGINT,
    threshold_note       TEXT NOT NULL DEFAULT '',
    threshold_reached_on TEXT,
    answer               TEXT NOT NULL DEFAULT '',
    decision             TEXT CHECK (decision IN ('approved', 'partly', 'refused', 'answered')),
    decided_on           TEXT,
    signatures           BIGINT NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    UNIQUE (municipality_id, number)
);

-- One signature per confirmed address (its hash) and proposal; a name only when chosen.
CREATE TABLE proposal_signature (
    proposal_id BIGINT NOT NULL REFERENCES proposal (id) ON DELETE CASCADE,
    email_hash  TEXT NOT NULL,
    public_name TEXT,
    signed_on   TEXT NOT NULL,
    PRIMARY KEY (proposal_id, email_hash)
);

-- A step waiting for its e-mail link: only the token's hash is kept; `what` is the step
-- (JSON); `email` is kept only for a proposal (its notices).
CREATE TABLE dialogue_confirmation (
    token_hash      TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    email_hash      TEXT NOT NULL,
    email           TEXT,
    what            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
);

-- Confirmation mails asked for per address hash in the current window (check-and-count).
CREATE TABLE dialogue_throttle (
    key          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    requests     BIGINT NOT NULL
);
