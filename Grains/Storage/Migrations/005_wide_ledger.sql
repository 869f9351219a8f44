-- A visitor's ledger holds views per day as bigint, like the view counts it is taken from: an
-- integer ledger made every write of a visitor past 2^31 views fail, with the whole batch it
-- was in. The view over the column and the figures type are rebuilt around the change.

DROP VIEW IF EXISTS ball_visitor_stats;
DROP FUNCTION IF EXISTS ball_ledger_after(integer[], timestamptz, bigint, bigint, timestamptz);

ALTER TABLE ball_grain_state ALTER COLUMN ledger TYPE bigint[];
ALTER TYPE ball_visitor_figures ALTER ATTRIBUTE ledger TYPE bigint[];

CREATE VIEW ball_visitor_stats AS
SELECT pid, color, red_views, blue_views, red_views + blue_views AS views, first_seen, last_seen, browser, ledger
FROM ball_grain_state
WHERE pid IS NOT NULL AND color IS NOT NULL;  -- a cleared row keeps its pid, not its figures
