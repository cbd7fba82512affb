-- kvalitet schema 15 (sqlite): deadlines on rounds, e-mail waiting to be sent, and invitations
-- that make an account without a role (testers of a national round). Keep in step with
-- ../postgres/0015_mail_deadlines.sql.

-- The ISO date by which a round's work should be done; reminders are sent before it.
ALTER TABLE assessment_round ADD COLUMN deadline TEXT;
ALTER TABLE service_round ADD COLUMN deadline TEXT;

-- E-mail is queued in the transaction of the change it tells about and sent afterwards, so a
-- relay that is down delays a message but never fails or half-writes the change.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    -- A message that must go once (a reminder for a day) has a key; queuing it again is a no-op.
    dedupe_key      TEXT UNIQUE,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    -- When a sender may next take it: a claim pushes this ahead, a failure backs off.
    next_attempt_at TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         TEXT,
    -- Set when the relay refused it for good or after the last attempt.
    failed_at       TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- SQLite cannot drop NOT NULL in place: the table is made again with the same rows.
CREATE TABLE invitation_new (
    token_hash      TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    -- Both NULL: an account only, for a tester who needs no role in a municipality.
    municipality_id TEXT REFERENCES municipality (id),
    role            TEXT CHECK (role IN ('reader', 'editor', 'admin')),
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT,
    CHECK ((municipality_id IS NULL) = (role IS NULL))
);
INSERT INTO invitation_new (token_hash, email, municipality_id, role, created_by, created_at, expires_at, used_at)
    SELECT token_hash, email, municipality_id, role, created_by, created_at, expires_at, used_at FROM invitation;
DROP TABLE invitation;
ALTER TABLE invitation_new RENAME TO invitation;
