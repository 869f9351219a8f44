-- Assignments in the books (issue 27, item 3): per arm and browser family of the first visit,
-- every visitor ever stored and every view ever counted, never taken back by an erasure. The
-- other aggregates are moved down by erasures, so "assigned" was computed as remaining plus
-- erased and could not disagree with them; counted on its own here, assigned - remaining -
-- erased is a residual that is 0 only while the books are whole.
--   color:    a visitor under their color; views under the ball shown (as ball_report_totals);
--   browser:  the family of the first visit as the visitor row stores it; '' when unknown (rows
--             stored before the family was recorded, and the visitors erased before this table);
--   shard:    as the other aggregates: one per server process, readers sum them.
-- Written by ball_stats_assign (Functions/visitors.sql) in the transaction of every write of a
-- visitor (visits and seeds), never by erasures, clears or ball_stats_rebuild.
CREATE TABLE IF NOT EXISTS ball_stats_assigned (
    color    text     NOT NULL CHECK (color IN ('red', 'blue')),
    browser  text     NOT NULL,
    shard    smallint NOT NULL DEFAULT 0,
    visitors bigint   NOT NULL DEFAULT 0,
    views    bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (color, browser, shard)
) WITH (fillfactor = 50);

-- Visits and erasures wait from here until the new functions commit with this migration (both
-- write the totals), so the opening balance below misses none of them.
LOCK TABLE ball_report_totals IN EXCLUSIVE MODE;

-- The opening balance: the visitor rows as they are, plus everything the erasure ledger says was
-- taken out before (its rows carry no browser). Nothing counted before this migration can be
-- told apart any better: from here on, the residual is the check.
INSERT INTO ball_stats_assigned (color, browser, shard, visitors, views)
SELECT color, browser, 0, sum(visitors), sum(views)
FROM (
    SELECT g.color, coalesce(g.browser, '') AS browser, 1 AS visitors, 0::bigint AS views
    FROM ball_grain_state g WHERE g.state_name = 'visitor' AND g.color IS NOT NULL
    UNION ALL
    SELECT c.color, coalesce(g.browser, ''), 0, CASE c.color WHEN 'red' THEN g.red_views ELSE g.blue_views END
    FROM ball_grain_state g CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
    WHERE g.state_name = 'visitor' AND g.color IS NOT NULL
    UNION ALL
    SELECT e.color, '', e.visitors, e.views FROM ball_stats_erased e
) opening
GROUP BY color, browser
HAVING sum(visitors) <> 0 OR sum(views) <> 0
ON CONFLICT (color, browser, shard) DO NOTHING;
