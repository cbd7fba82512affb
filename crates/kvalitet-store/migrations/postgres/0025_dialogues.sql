-- kvalitet schema 25 (postgres): e-dialogues: a question open for a period, participants who
-- joined from a confirmed e-mail link (the address's hash only), their statements through
-- moderation and their agree / disagree / pass votes (docs/dialogue.md). Keep in step with
-- ../sqlite/0025_dialogues.sql.

CREATE TABLE dialogue (
    id              BIGSERIAL PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    number          BIGINT NOT NULL,
    question        TEXT NOT NULL,
    description     TEXT NOT NULL,
    -- The areas a participant may say they live in, one per line.
    areas           TEXT NOT NULL,
    opens_on        TEXT NOT NULL,
    closes_on       TEXT NOT NULL,
    response        TEXT NOT NULL DEFAULT '',
    responded_on    TEXT,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (municipality_id, number)
);

-- One participant per confirmed address (its hash) and dialogue; the token's hash is the key
-- to their page (moved to the newest link when they join again).
CREATE TABLE dialogue_participant (
    id          BIGSERIAL PRIMARY KEY,
    dialogue_id BIGINT NOT NULL REFERENCES dialogue (id) ON DELETE CASCADE,
    email_hash  TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    area        TEXT,
    age_band    TEXT,
    joined_on   TEXT NOT NULL,
    UNIQUE (dialogue_id, email_hash)
);

CREATE TABLE dialogue_statement (
    id             BIGSERIAL PRIMARY KEY,
    dialogue_id    BIGINT NOT NULL REFERENCES dialogue (id) ON DELETE CASCADE,
    number         BIGINT NOT NULL,
    participant_id BIGINT NOT NULL REFERENCES dialogue_participant (id) ON DELETE CASCADE,
    body           TEXT NOT NULL,
    moderation     TEXT NOT NULL CHECK (moderation IN ('pending', 'published', 'rejected')),
    reason         TEXT NOT NULL DEFAULT '',
    written_on     TEXT NOT NULL,
    written_at     TEXT NOT NULL,
    UNIQUE (dialogue_id, number)
);

-- One vote per participant and statement.
CREATE TABLE dialogue_vote (
    statement_id   BIGINT NOT NULL REFERENCES dialogue_statement (id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES dialogue_participant (id) ON DELETE CASCADE,
    vote           TEXT NOT NULL CHECK (vote IN ('agree', 'disagree', 'pass')),
    voted_on       TEXT NOT NULL,
    PRIMARY KEY (statement_id, participant_id)
);

CREATE INDEX dialogue_vote_participant ON dialogue_vote (participant_id);
