-- kvalitet schema 4 (SQLite): people, their roles per municipality, login sessions, and the
-- audit trail. Keep in step with ../postgres/0004_accounts_and_audit.sql.

CREATE TABLE app_user (
    id            INTEGER PRIMARY KEY,
    -- Lower case; one account per address.
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    -- PHC string of argon2id; never the password.
    password_hash TEXT NOT NULL,
    system_admin  BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE membership (
    user_id         INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    role            TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    PRIMARY KEY (user_id, municipality_id)
);

-- Sessions live in the database so several `kvalitet serve` share them. Only a hash of the
-- token is stored: a copy of the table does not log anyone in.
CREATE TABLE session (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Every change: who, when, what, before and after (JSON), written in the change's transaction.
CREATE TABLE audit_event (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    municipality_id TEXT,
    action          TEXT NOT NULL,
    object          TEXT NOT NULL,
    before          TEXT,
    after           TEXT
);
CREATE INDEX audit_event_by_municipality ON audit_event (municipality_id, id);
