-- kvalitet schema 8 (sqlite): assessment rounds on a framework version, their assessors, each
-- assessor's own answers with evidence, the agreed (consensus) scores, uploaded documents and
-- survey distributions. Keep in step with ../postgres/0008_assessment_rounds.sql.

CREATE TABLE assessment_round (
    id                INTEGER PRIMARY KEY,
    municipality_id   TEXT NOT NULL REFERENCES municipality (id),
    framework_id      TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('self_assessment', 'external', 'web_review', 'survey')),
    title             TEXT NOT NULL,
    -- The year the result describes; a published result becomes values of this year.
    year              INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'reviewed', 'published')),
    -- The person who submitted, so that someone else reviews.
    submitted_by      INTEGER,
    -- Surveys: how many were asked and how many answered (the response rate).
    invited           INTEGER,
    respondents       INTEGER,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    FOREIGN KEY (framework_id, framework_version) REFERENCES framework (id, version)
);
CREATE INDEX assessment_round_framework ON assessment_round (framework_id, framework_version, status);
CREATE INDEX assessment_round_municipality ON assessment_round (municipality_id);

CREATE TABLE assessment_assessor (
    round_id INTEGER NOT NULL REFERENCES assessment_round (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('lead', 'evaluator', 'respondent')),
    PRIMARY KEY (round_id, user_id)
);

-- Each assessor's own answer, before consensus; the answer is a choice's label or a number.
CREATE TABLE assessment_answer (
    round_id    INTEGER NOT NULL REFERENCES assessment_round (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    answer      TEXT,
    evidence    TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    comment     TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (round_id, user_id, question_id)
);

-- The agreed answer per question and why; the round's scores are made from these.
CREATE TABLE assessment_consensus (
    round_id    INTEGER NOT NULL REFERENCES assessment_round (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    answer      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    decided_by  TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    PRIMARY KEY (round_id, question_id)
);

-- Evidence files; served only to those who may see the round until it is published.
CREATE TABLE assessment_document (
    id           INTEGER PRIMARY KEY,
    round_id     INTEGER NOT NULL REFERENCES assessment_round (id) ON DELETE CASCADE,
    question_id  TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body         BLOB NOT NULL,
    uploaded_at  TEXT NOT NULL
);
CREATE INDEX assessment_document_round ON assessment_document (round_id);

-- Survey answers per statement as counts per scale step, lowest first ("2,3,5,6,4").
CREATE TABLE assessment_distribution (
    round_id    INTEGER NOT NULL REFERENCES assessment_round (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    counts      TEXT NOT NULL,
    PRIMARY KEY (round_id, question_id)
);
