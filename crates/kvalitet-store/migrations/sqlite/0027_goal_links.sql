-- kvalitet schema 27 (sqlite): the goal a proposal, an e-dialogue or a citizen budget round is
-- followed up under, shown on its public page (docs/dialogue.md). One goal per item; the goal
-- is named by its id in the published plan, so a link to a goal the plan no longer has is
-- simply not shown. Keep in step with ../postgres/0027_goal_links.sql.

CREATE TABLE goal_link (
    municipality_id TEXT NOT NULL REFERENCES municipality (id),
    kind            TEXT NOT NULL CHECK (kind IN ('proposal', 'dialogue', 'budget')),
    -- The proposal's or dialogue's number, or the budget round's code.
    item            TEXT NOT NULL,
    goal_id         TEXT NOT NULL,
    linked_by       TEXT NOT NULL,
    linked_at       TEXT NOT NULL,
    PRIMARY KEY (municipality_id, kind, item)
);
