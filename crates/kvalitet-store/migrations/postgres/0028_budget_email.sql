-- kvalitet schema 28 (PostgreSQL): a citizen-budget round identifies its participants by one-time
-- codes or by a confirmed e-mail address (docs/dialogue.md). An address votes as a code
-- would: its hash is the voter's code_hash, with a prefix no code has, so one ballot per
-- address and round is the same unique key. Keep in step with ../sqlite/0028_budget_email.sql.

ALTER TABLE budget_round ADD COLUMN identification TEXT NOT NULL DEFAULT 'codes'
    CHECK (identification IN ('codes', 'email'));
