-- kvalitet schema 10 (SQLite): login attempts counted per key (account and address, address,
-- account) in windows, instead of a lock on the account that anyone could trigger against its
-- owner. Keep in step with ../postgres/0010_login_throttle.sql.

CREATE TABLE login_throttle (
    -- "account+address:…", "address:…" or "account:…" (see LoginPolicy::limits).
    key          TEXT PRIMARY KEY,
    -- When the window began (RFC 3339, UTC): at the first failure after the last window.
    window_start TEXT NOT NULL,
    attempts     INTEGER NOT NULL
);
CREATE INDEX login_throttle_window ON login_throttle (window_start);

ALTER TABLE app_user DROP COLUMN failed_logins;
ALTER TABLE app_user DROP COLUMN locked_until;
