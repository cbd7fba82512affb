-- kvalitet schema 21 (postgres): surveys, their questionnaire versions, personal invitations and
-- answers (docs/surveys.md). Keep in step with ../sqlite/0021_surveys.sql.

-- A survey of a municipality: draft (built, previewed), open (answered), closed (answers
-- kept, personal data deleted after the retention period).
CREATE TABLE survey (
    id              BIGSERIAL PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    code            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    -- Anyone with the survey's address may answer: the answers are self-selected.
    open_link       BOOLEAN NOT NULL,
    -- Days after closing that invitations (e-mail addresses, background) are kept.
    retention_days  BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    opened_at       TEXT,
    closed_at       TEXT,
    UNIQUE (municipality_id, code)
);

-- The questionnaire in its documented file format. A survey without answers has one version
-- that is edited in place; once answered, a change is a new version whose questions keep
-- their meaning (a changed question has a new id).
CREATE TABLE survey_version (
    id         BIGSERIAL PRIMARY KEY,
    survey_id  BIGINT NOT NULL REFERENCES survey (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    source     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (survey_id, version)
);

-- One answered questionnaire: no name, address, token or time of day, only the day; the
-- background (variable -> level, JSON) as the invitation gave it, for breakdowns and weights.
CREATE TABLE survey_response (
    id            BIGSERIAL PRIMARY KEY,
    survey_id     BIGINT NOT NULL REFERENCES survey (id) ON DELETE CASCADE,
    version_id    BIGINT NOT NULL REFERENCES survey_version (id),
    answers       TEXT NOT NULL,
    background    TEXT NOT NULL,
    weight        DOUBLE PRECISION,
    self_selected BOOLEAN NOT NULL,
    answered_on   TEXT NOT NULL
);
CREATE INDEX survey_response_survey ON survey_response (survey_id, id);

-- A personal link: only the hash of its token is kept. response_id ties the person to the
-- answer while the survey is open (so an answer can be deleted on request) and is cleared
-- when it closes.
CREATE TABLE survey_invitation (
    id          BIGSERIAL PRIMARY KEY,
    survey_id   BIGINT NOT NULL REFERENCES survey (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT,
    background  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    answered_at TEXT,
    response_id BIGINT REFERENCES survey_response (id) ON DELETE SET NULL
);
CREATE INDEX survey_invitation_survey ON survey_invitation (survey_id, id);
