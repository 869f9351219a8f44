-- One row per visitor (issue 19): the read model's columns join the visitor's grain-state row,
-- so a returning visit updates one row, and no index covers a column a visit changes (HOT).
-- The stats are kept by the functions that write visitors (Functions/visitors.sql), not by
-- triggers; the reconciliation behind the triggers goes with them.

DROP TRIGGER IF EXISTS ball_stats_after_insert ON ball_grain_state;
DROP TRIGGER IF EXISTS ball_stats_after_update ON ball_grain_state;
DROP TRIGGER IF EXISTS ball_stats_after_delete ON ball_grain_state;
DROP FUNCTION IF EXISTS ball_stats_on_insert(), ball_stats_on_update(), ball_stats_on_delete(),
    ball_stats_record(text[], bytea[], bytea[]), ball_stats_forget(text[], bytea[], bytea[]),
    ball_stats_take_minutes(text, timestamptz, timestamptz, boolean, bigint),
    ball_stats_apply(text[], text[], bigint[], bigint[], timestamptz[], timestamptz[], text[]);
DROP VIEW IF EXISTS ball_visitor_payloads;
DROP TABLE IF EXISTS ball_stats_watermark;
DROP INDEX IF EXISTS ball_grain_state_modified;

-- Keys compare as bytes: no locale work in any index probe.
ALTER TABLE ball_grain_state
    ALTER COLUMN grain_key TYPE text COLLATE "C",
    ALTER COLUMN state_name TYPE text COLLATE "C",
    ALTER COLUMN service_id TYPE text COLLATE "C",
    -- Visitor rows only (NULL elsewhere, and after a clear): what the stats read.
    --   pid:    the pseudonymous id, HMAC-SHA256 of the key under ball_stats_key, first 16 bytes;
    --   ledger: where ball_stats_daily holds this visitor's views, so that erasing them is exact:
    --           NULL while every view is on the day of the last visit, else one triple per
    --           earlier day with views, [day - 1970-01-01, red views, blue views], counted up to
    --           and including that day. A visit on another day adds the last visit's day.
    ADD COLUMN pid bytea,
    ADD COLUMN color text CHECK (color IN ('red', 'blue')),
    ADD COLUMN red_views bigint,
    ADD COLUMN blue_views bigint,
    ADD COLUMN first_seen timestamptz,
    ADD COLUMN last_seen timestamptz,
    ADD COLUMN browser text,
    ADD COLUMN ledger integer[],
    -- Room on each page for the next version of its rows, so updates stay on the page (HOT).
    SET (fillfactor = 70);

-- Carries an existing read model over: the figures from the payload, the ledger from the old row.
UPDATE ball_grain_state g
SET pid = p.pid, color = p.j->>'c', red_views = (p.j->>'r')::bigint, blue_views = (p.j->>'b')::bigint,
    first_seen = (p.j->>'f')::timestamptz, last_seen = (p.j->>'l')::timestamptz, browser = p.j->>'u',
    ledger = (SELECT s.ledger FROM ball_visitor_stats s WHERE s.pid = p.pid)
FROM (SELECT g2.ctid AS row_id, convert_from(g2.payload, 'UTF8')::jsonb AS j,
             substr(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(g2.grain_key, 'UTF8'))), 1, 16) AS pid
      FROM ball_grain_state g2 CROSS JOIN ball_stats_key k
      WHERE g2.state_name = 'visitor' AND g2.payload IS NOT NULL) p
WHERE g.ctid = p.row_id;

DROP TABLE ball_visitor_stats;

-- Set once per visitor, so neither stops an update from being HOT: the admin's erasure by
-- pseudonym, and the listing and range stats by first visit.
CREATE INDEX ball_grain_state_pid ON ball_grain_state (pid) WHERE pid IS NOT NULL;
CREATE INDEX ball_grain_state_first ON ball_grain_state (first_seen, pid) WHERE pid IS NOT NULL;

-- The read model, as the stats pages read it.
CREATE VIEW ball_visitor_stats AS
SELECT pid, color, red_views, blue_views, red_views + blue_views AS views, first_seen, last_seen, browser, ledger
FROM ball_grain_state
WHERE pid IS NOT NULL AND color IS NOT NULL;  -- a cleared row keeps its pid, not its figures

-- A visitor's figures before or after a change, as ball_stats_apply takes them (color NULL: none).
CREATE TYPE ball_visitor_figures AS (
    color text, red bigint, blue bigint, first_seen timestamptz, last_seen timestamptz, ledger integer[]);

-- Aggregate rows are updated by every batch: room for HOT there too.
ALTER TABLE ball_report_totals SET (fillfactor = 50);
ALTER TABLE ball_stats_daily SET (fillfactor = 50);
ALTER TABLE ball_visits_per_minute SET (fillfactor = 50);
