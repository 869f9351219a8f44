-- Erasures in the books (issue 16): per UTC day, arm and reason, the visitors and views that
-- forget-me, retention and the admin delete took out of the stats. Counts only: no id, no
-- pseudonym. Written by ball_stats_erased (Functions/visitors.sql) in the erasure's transaction.
--   day:      the day the erased figures were counted on: a visitor on the day of their first
--             visit, views on the days the visitor's ledger put them (as ball_stats_daily held them);
--   color:    the arm: the visitor's color for visitors, the ball shown for views;
--   reason:   forget (the visitor's own "Forget me"), retention, admin (DELETE /api/visitors/{id},
--             or a grain-state clear);
--   shard:    as the other aggregates: one per server process, readers sum them.
CREATE TABLE IF NOT EXISTS ball_stats_erased (
    day      date     NOT NULL,
    color    text     NOT NULL CHECK (color IN ('red', 'blue')),
    reason   text     NOT NULL CHECK (reason IN ('forget', 'retention', 'admin')),
    shard    smallint NOT NULL DEFAULT 0,
    visitors bigint   NOT NULL DEFAULT 0,
    views    bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (day, color, reason, shard)
) WITH (fillfactor = 50);
