-- kvalitet schema 9 (sqlite): service measurements: test rounds of e-mail and telephone
-- contacts, their question bank and plan, each registered contact, and survey answers for the
-- service index. Keep in step with ../postgres/0009_service_measurements.sql.

CREATE TABLE service_round (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    year          INTEGER NOT NULL,
    -- NULL: a national round run by a coordinator; otherwise the municipality running its own.
    organiser_id  TEXT REFERENCES municipality (id),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    -- Whether a partly relevant e-mail answer counts as answered.
    partly_counts BOOLEAN NOT NULL,
    -- Fewer tests than this make a figure unreliable.
    min_tests     INTEGER NOT NULL,
    -- Further non-working days, ISO dates separated by commas.
    closed_days   TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE service_member (
    round_id        INTEGER NOT NULL REFERENCES service_round (id) ON DELETE CASCADE,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    PRIMARY KEY (round_id, municipality_id)
);

CREATE TABLE service_question (
    round_id INTEGER NOT NULL REFERENCES service_round (id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    area     TEXT NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY (round_id, id)
);

CREATE TABLE service_plan (
    round_id        INTEGER NOT NULL REFERENCES service_round (id) ON DELETE CASCADE,
    municipality_id TEXT NOT NULL,
    question_id     TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'phone')),
    planned_on      TEXT NOT NULL,
    tester          TEXT NOT NULL,
    PRIMARY KEY (round_id, municipality_id, question_id, channel)
);

-- One test contact; a question is put to a municipality once per channel in a round.
CREATE TABLE service_contact (
    id              INTEGER PRIMARY KEY,
    round_id        INTEGER NOT NULL REFERENCES service_round (id) ON DELETE CASCADE,
    municipality_id TEXT NOT NULL,
    question_id     TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'phone')),
    tester          TEXT NOT NULL,
    -- RFC 3339 in UTC.
    sent_at         TEXT NOT NULL,
    answered_at     TEXT,
    relevance       TEXT CHECK (relevance IN ('yes', 'partly', 'no')),
    direct_answer   BOOLEAN,
    wait_seconds    INTEGER,
    reception       INTEGER CHECK (reception BETWEEN 0 AND 3),
    note            TEXT NOT NULL DEFAULT '',
    registered_by   TEXT NOT NULL,
    registered_at   TEXT NOT NULL,
    UNIQUE (round_id, municipality_id, question_id, channel)
);

-- Survey answers per municipality, channel and question: counts of 1..5, lowest first.
-- E-mail answers from residents who got no answer are kept apart (got_answer false).
CREATE TABLE service_survey (
    round_id        INTEGER NOT NULL REFERENCES service_round (id) ON DELETE CASCADE,
    municipality_id TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'phone')),
    question        TEXT NOT NULL CHECK (question IN ('reception', 'ease', 'clarity')),
    got_answer      BOOLEAN NOT NULL,
    counts          TEXT NOT NULL,
    PRIMARY KEY (round_id, municipality_id, channel, question, got_answer)
);
