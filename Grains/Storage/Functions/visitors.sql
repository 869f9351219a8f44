-- Visitors: the functions that write visitor rows (grain state and read model in one row, 004)
-- and journal what they changed in the stats in the same transaction (010), and the fold that
-- moves the aggregates by the journal. Re-run whenever this file changes.
--
-- Every function that touches ball_grain_state runs with one plan per connection
-- (force_generic_plan) and with sequential, bitmap, hash and merge scans and joins priced out:
-- the plan left is one index probe per row, whether the table is empty or holds millions, and
-- whenever statistics were last gathered. The visit batch statement, sent on its own by the
-- grouped storage, has the planner's own plan instead (an index probe per row on a table of any
-- size worth the name) and locks its rows in its probe. Rows are locked in key order (callers
-- pass keys sorted, the probes follow the input); writers then only insert into the journal.
-- The fold, one at a time, locks totals, days and minutes, then the assigned counters and the
-- erasure ledger, each in key order.

-- The pseudonymous id of a visitor: the first 16 bytes of HMAC-SHA256(key, visitor id), as
-- Grains/Privacy/VisitorPseudonymKey.cs computes it. Written without FROM so the planner inlines it.
CREATE OR REPLACE FUNCTION ball_visitor_pid(inner_pad bytea, outer_pad bytea, visitor_id text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $f$
    SELECT substr(sha256(outer_pad || sha256(inner_pad || convert_to(visitor_id, 'UTF8'))), 1, 16)
$f$;

-- The shard a transaction adds to: one per server process, so concurrent batches rarely share
-- an aggregate row. Readers sum the shards.
CREATE OR REPLACE FUNCTION ball_stats_shard() RETURNS smallint
LANGUAGE sql STABLE AS $f$ SELECT (pg_backend_pid() % 16)::smallint $f$;

-- The UTC day of a moment: the unit of the daily series and of the ledger.
CREATE OR REPLACE FUNCTION ball_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$ SELECT (t AT TIME ZONE 'UTC')::date $f$;

-- A visitor's ledger after a visit at new_last_seen: a visit on another day than the last one
-- closes that day, with the views counted up to it (bigint, as the counts are: 005).
CREATE OR REPLACE FUNCTION ball_ledger_after(
    ledger bigint[], last_seen timestamptz, red bigint, blue bigint, new_last_seen timestamptz) RETURNS bigint[]
LANGUAGE sql IMMUTABLE AS $f$
    SELECT CASE WHEN last_seen IS NULL OR ball_day(new_last_seen) = ball_day(last_seen) THEN ledger
                ELSE coalesce(ledger, '{}') || ARRAY[ball_day(last_seen) - DATE '1970-01-01', red, blue] END
$f$;

-- The version a row gets when it is written: one more, wrapping to 1 after the largest integer
-- (the providers' column and ETags are 32-bit; a version is only ever compared for equality).
CREATE OR REPLACE FUNCTION ball_next_version(version integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT CASE WHEN version = 2147483647 THEN 1 ELSE version + 1 END
$f$;

-- Where a visitor's views are in ball_stats_daily: each closed day of the ledger, then the rest
-- on the day of the last visit.
CREATE OR REPLACE FUNCTION ball_views_by_day(f ball_visitor_figures) RETURNS TABLE (day date, red bigint, blue bigint)
LANGUAGE sql IMMUTABLE AS $f$
    SELECT t.day, t.red - coalesce(lag(t.red) OVER w, 0), t.blue - coalesce(lag(t.blue) OVER w, 0)
    FROM (SELECT i AS ord, DATE '1970-01-01' + f.ledger[3 * i - 2]::integer AS day,
                 f.ledger[3 * i - 1]::bigint AS red, f.ledger[3 * i]::bigint AS blue
          FROM generate_series(1, coalesce(array_length(f.ledger, 1), 0) / 3) AS i
          UNION ALL
          SELECT 2147483647, ball_day(f.last_seen), f.red, f.blue) t
    WINDOW w AS (ORDER BY t.ord)
$f$;

-- The stats arithmetic, the one place it is written: visitors changed from p_before[i] to
-- p_after[i] (color NULL, or the element NULL: no visitor). Moves this transaction's shard of
-- the totals, the days and the minutes by the difference:
--   totals: a visitor under their color, views per color;
--   days:   a visitor on the day of their first visit; views on the day of the visit that made
--           them (a returning visit), by the ledger (a visitor who arrives or leaves whole);
--   minutes: views of the last hour (the only minutes read), on the minute of the visit; an
--           erasure leaves minutes alone: they are pruned, not adjusted.
CREATE OR REPLACE FUNCTION ball_stats_apply(p_before ball_visitor_figures[], p_after ball_visitor_figures[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $f$
DECLARE
    v_shard constant smallint := ball_stats_shard();
BEGIN
    IF coalesce(cardinality(p_after), 0) = 0 THEN
        RETURN;
    END IF;

    INSERT INTO ball_report_totals AS t (color, shard, visitors, views)
    SELECT c.color, v_shard,
           sum(CASE WHEN (p.a).color = c.color THEN 1 ELSE 0 END - CASE WHEN (p.b).color = c.color THEN 1 ELSE 0 END),
           sum(coalesce(CASE WHEN (p.a).color IS NULL THEN 0 WHEN c.color = 'red' THEN (p.a).red ELSE (p.a).blue END, 0)
               - coalesce(CASE WHEN (p.b).color IS NULL THEN 0 WHEN c.color = 'red' THEN (p.b).red ELSE (p.b).blue END, 0))
    FROM (SELECT unnest(p_before) AS b, unnest(p_after) AS a) p
    CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
    GROUP BY c.color
    HAVING sum(CASE WHEN (p.a).color = c.color THEN 1 ELSE 0 END - CASE WHEN (p.b).color = c.color THEN 1 ELSE 0 END) <> 0
        OR sum(coalesce(CASE WHEN (p.a).color IS NULL THEN 0 WHEN c.color = 'red' THEN (p.a).red ELSE (p.a).blue END, 0)
               - coalesce(CASE WHEN (p.b).color IS NULL THEN 0 WHEN c.color = 'red' THEN (p.b).red ELSE (p.b).blue END, 0)) <> 0
    ORDER BY c.color
    ON CONFLICT (color, shard) DO UPDATE SET visitors = t.visitors + excluded.visitors, views = t.views + excluded.views;

    INSERT INTO ball_stats_daily AS d (day, color, shard, visitors, views)
    SELECT e.day, e.color, v_shard, sum(e.visitors), sum(e.views)
    FROM (SELECT unnest(p_before) AS b, unnest(p_after) AS a) p
    CROSS JOIN LATERAL (
        -- A returning visit (or any rewrite by these functions): views on the day of the visit.
        SELECT ball_day((p.a).last_seen) AS day, 'red' AS color, 0 AS visitors, (p.a).red - (p.b).red AS views
        WHERE (p.a).color IS NOT NULL AND (p.b).color IS NOT NULL
        UNION ALL
        SELECT ball_day((p.a).last_seen), 'blue', 0, (p.a).blue - (p.b).blue
        WHERE (p.a).color IS NOT NULL AND (p.b).color IS NOT NULL
        -- A visitor leaves the day of their first visit, or moves to another day or color.
        UNION ALL
        SELECT ball_day((p.b).first_seen), (p.b).color, -1, 0
        WHERE (p.b).color IS NOT NULL AND ((p.a).color IS NULL OR (p.a).color <> (p.b).color
                                           OR ball_day((p.a).first_seen) <> ball_day((p.b).first_seen))
        UNION ALL
        SELECT ball_day((p.a).first_seen), (p.a).color, 1, 0
        WHERE (p.a).color IS NOT NULL AND ((p.b).color IS NULL OR (p.a).color <> (p.b).color
                                           OR ball_day((p.a).first_seen) <> ball_day((p.b).first_seen))
        -- A visitor who arrives whole (first visit, seed, rebuild) or leaves whole (erasure).
        UNION ALL
        SELECT v.day, c.color, 0, CASE c.color WHEN 'red' THEN v.red ELSE v.blue END
        FROM ball_views_by_day(p.a) v CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
        WHERE (p.a).color IS NOT NULL AND (p.b).color IS NULL
        UNION ALL
        SELECT v.day, c.color, 0, -CASE c.color WHEN 'red' THEN v.red ELSE v.blue END
        FROM ball_views_by_day(p.b) v CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
        WHERE (p.b).color IS NOT NULL AND (p.a).color IS NULL
    ) e
    GROUP BY e.day, e.color
    HAVING sum(e.visitors) <> 0 OR sum(e.views) <> 0
    ORDER BY e.day, e.color
    ON CONFLICT (day, color, shard) DO UPDATE SET visitors = d.visitors + excluded.visitors, views = d.views + excluded.views;

    INSERT INTO ball_visits_per_minute AS m (minute, color, shard, visits)
    SELECT date_trunc('minute', (p.a).last_seen), c.color, v_shard,
           sum(CASE c.color WHEN 'red' THEN (p.a).red - coalesce((p.b).red, 0) ELSE (p.a).blue - coalesce((p.b).blue, 0) END)
    FROM (SELECT unnest(p_before) AS b, unnest(p_after) AS a) p
    CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
    WHERE (p.a).color IS NOT NULL AND (p.a).last_seen >= now() - interval '61 minutes'
    GROUP BY 1, c.color
    HAVING sum(CASE c.color WHEN 'red' THEN (p.a).red - coalesce((p.b).red, 0) ELSE (p.a).blue - coalesce((p.b).blue, 0) END) <> 0
    ORDER BY 1, c.color
    ON CONFLICT (minute, color, shard) DO UPDATE SET visits = m.visits + excluded.visits;
END
$f$;

-- Reads visitor rows: one index probe per key (no bitmap scan rechecking the array per row).
CREATE OR REPLACE FUNCTION ball_visitors_read(p_service text, p_state text, p_keys text[])
RETURNS TABLE (grain_key text, payload bytea, version integer)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_bitmapscan = off
AS $f$
BEGIN
    RETURN QUERY
    SELECT g.grain_key, g.payload, g.version
    FROM ball_grain_state g
    WHERE g.grain_key = ANY (p_keys) AND g.key_n0 = 0 AND g.key_n1 = 0
      AND g.state_name = p_state AND g.service_id = p_service;
END
$f$;

-- Writes a batch of visitors, with the ADO.NET provider's rules per row: an update only where
-- the stored version is the one the grain holds ($5[i]); an insert only where it holds none and no
-- row exists. Returns the rows written with their new version; a row missing from it was stale.
-- Keys must be distinct, and sorted (the lock order). What the written rows changed in the stats
-- goes to the journal (010) in the same statement, one row per batch; ball_stats_fold moves the
-- aggregates by it.
--
-- The statement between the markers is also the grouped storage's own (VisitorRowWrite reads it
-- from this file and prepares it): sent as it is, a batch costs one planned statement and no
-- function call. Here, for the ADO.NET provider's writes and for seeds, it runs with the settings
-- below. It names the parameters $1 to $12, so that it reads the same in both places.
CREATE OR REPLACE FUNCTION ball_visitors_write(
    p_service text, p_state text, p_keys text[], p_payloads bytea[], p_versions integer[], p_pids bytea[],
    p_colors text[], p_red bigint[], p_blue bigint[], p_first timestamptz[], p_last timestamptz[], p_browsers text[])
RETURNS TABLE (written_key text, new_version integer)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $f$
BEGIN
    RETURN QUERY
-- >>> visit batch statement
WITH input AS (
    -- The keys through a sub-select: the planner sees no constant array even in a custom plan, so
    -- a custom plan costs what the generic one does, and after its first five executions the
    -- prepared statement keeps the generic plan. With the array in sight, every batch was planned
    -- again (a custom plan looked cheaper for its few rows): 0.7 ms of planning per batch.
    SELECT *
    FROM unnest((SELECT $3::text[]), $4::bytea[], $5::integer[], $6::bytea[], $7::text[], $8::bigint[], $9::bigint[],
                $10::timestamptz[], $11::timestamptz[], $12::text[])
         AS i(grain_key, payload, version, pid, color, red, blue, first_seen, last_seen, browser)
), updated AS (
    -- The stored row, found by a probe per input row (LATERAL: driven by the input, in its order)
    -- and locked there, so rows are locked in key order whichever join the planner picks below (on
    -- a tiny table it may scan and hash; on a large one it probes the primary key), then updated
    -- through its ctid; o keeps the figures before the update. A row updated by someone else
    -- meanwhile is locked in its new version, which this statement's snapshot does not see: the
    -- update skips it, and the write is stale, as its version check would have said.
    UPDATE ball_grain_state g
    SET payload = x.payload, version = ball_next_version(g.version), modified_on = now(), pid = x.pid,
        color = x.color, red_views = x.red, blue_views = x.blue, first_seen = x.first_seen,
        last_seen = x.last_seen, browser = x.browser,
        ledger = ball_ledger_after(g.ledger, g.last_seen, g.red_views, g.blue_views, x.last_seen)
    FROM (SELECT i.*, o.row_id, o.before
          FROM input i
          CROSS JOIN LATERAL (
              SELECT s.ctid AS row_id,
                     ROW(s.color, s.red_views, s.blue_views, s.first_seen, s.last_seen, s.ledger)::ball_visitor_figures AS before
              FROM ball_grain_state s
              WHERE s.grain_key = i.grain_key AND s.key_n0 = 0 AND s.key_n1 = 0
                AND s.state_name = $2::text AND s.service_id = $1::text
              FOR NO KEY UPDATE) o  -- the lock an update takes; it also keeps the subquery from being flattened
          WHERE i.version IS NOT NULL
          OFFSET 0) x
    WHERE g.ctid = x.row_id AND g.version = x.version
    RETURNING g.grain_key, g.version, x.before,
              ROW(g.color, g.red_views, g.blue_views, g.first_seen, g.last_seen, g.ledger)::ball_visitor_figures AS after,
              g.browser
), inserted AS (
    INSERT INTO ball_grain_state AS g (service_id, state_name, grain_key, key_n0, key_n1, payload, version,
                                       pid, color, red_views, blue_views, first_seen, last_seen, browser)
    SELECT $1::text, $2::text, i.grain_key, 0, 0, i.payload, 1,
           i.pid, i.color, i.red, i.blue, i.first_seen, i.last_seen, i.browser
    FROM input i
    WHERE i.version IS NULL
    ON CONFLICT ON CONSTRAINT ball_grain_state_pk DO NOTHING
    RETURNING g.grain_key, g.version, NULL::ball_visitor_figures AS before,
              ROW(g.color, g.red_views, g.blue_views, g.first_seen, g.last_seen, g.ledger)::ball_visitor_figures AS after,
              g.browser
), written AS (
    SELECT * FROM updated UNION ALL SELECT * FROM inserted
), journaled AS (
    -- Nothing written (every row stale), nothing journaled.
    INSERT INTO ball_stats_journal (before, after, browsers)
    SELECT array_agg(w.before), array_agg(w.after), array_agg(w.browser)
    FROM written w
    HAVING count(*) > 0
)
SELECT w.grain_key AS written_key, w.version AS new_version FROM written w
-- <<< visit batch statement
    ;
END
$f$;

-- >>> Assignments in the books (issue 27, item 3): kept whole between these markers.
-- Moves this transaction's shard of ball_stats_assigned (migration 008) for visitors written by a
-- visit or a seed: a visitor stored for the first time (no figures before) counts once under
-- their color and the browser family of their row; views count by the ball shown, by what the
-- write added. Nothing here ever goes down: an erasure, a clear or a rebuild does not call it,
-- and a write that lowers a visitor's views or changes their color (nothing in the site does;
-- a restore by hand might) leaves it as it was, so that the residual assigned - remaining -
-- erased shows the change instead of absorbing it. Locked after the totals, days and minutes.
CREATE OR REPLACE FUNCTION ball_stats_assign(p_before ball_visitor_figures[], p_after ball_visitor_figures[], p_browsers text[])
RETURNS void
LANGUAGE sql AS $f$
    INSERT INTO ball_stats_assigned AS s (color, browser, shard, visitors, views)
    SELECT m.color, m.browser, ball_stats_shard(), sum(m.visitors), sum(m.views)
    FROM (SELECT unnest(p_before) AS b, unnest(p_after) AS a, unnest(p_browsers) AS browser) w
    CROSS JOIN LATERAL (
        SELECT (w.a).color AS color, coalesce(w.browser, '') AS browser, 1 AS visitors, 0::bigint AS views
        WHERE (w.b).color IS NULL
        UNION ALL
        SELECT c.color, coalesce(w.browser, ''), 0,
               greatest(CASE c.color WHEN 'red' THEN (w.a).red - CASE WHEN (w.b).color IS NULL THEN 0 ELSE (w.b).red END
                                     ELSE (w.a).blue - CASE WHEN (w.b).color IS NULL THEN 0 ELSE (w.b).blue END END, 0)
        FROM (VALUES ('red'), ('blue')) AS c(color)
    ) m
    WHERE (w.a).color IS NOT NULL
    GROUP BY m.color, m.browser
    HAVING sum(m.visitors) <> 0 OR sum(m.views) <> 0
    ORDER BY m.color, m.browser
    ON CONFLICT (color, browser, shard) DO UPDATE SET visitors = s.visitors + excluded.visitors, views = s.views + excluded.views
$f$;
-- <<< Assignments in the books.

-- >>> Erasure ledger (issue 16, stats): kept whole between these markers.
-- Books what an erasure took out of the stats, per day the figures were counted on, arm and
-- reason (ball_stats_erased, migration 006), in the erasure's transaction: a visitor on the day
-- of their first visit, their views on the days ball_views_by_day says. Locked after the
-- totals, days and minutes, in key order.
CREATE OR REPLACE FUNCTION ball_stats_erased(p_before ball_visitor_figures[], p_reason text) RETURNS void
LANGUAGE sql AS $f$
    INSERT INTO ball_stats_erased AS e (day, color, reason, shard, visitors, views)
    SELECT m.day, m.color, p_reason, ball_stats_shard(), sum(m.visitors), sum(m.views)
    FROM unnest(p_before) AS b
    CROSS JOIN LATERAL (
        SELECT ball_day(b.first_seen) AS day, b.color AS color, 1 AS visitors, 0::bigint AS views
        UNION ALL
        SELECT v.day, c.color, 0, CASE c.color WHEN 'red' THEN v.red ELSE v.blue END
        FROM ball_views_by_day(b) v CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
    ) m
    WHERE b.color IS NOT NULL
    GROUP BY m.day, m.color
    HAVING sum(m.visitors) <> 0 OR sum(m.views) <> 0
    ORDER BY m.day, m.color
    ON CONFLICT (day, color, reason, shard) DO UPDATE SET visitors = e.visitors + excluded.visitors, views = e.views + excluded.views
$f$;

-- The reason became a parameter of ball_visitors_erase: the old signature goes, so that a call
-- with four arguments is not ambiguous.
DROP FUNCTION IF EXISTS ball_visitors_erase(text, text, text[], timestamptz);
-- <<< Erasure ledger.

-- Clears one visitor (the provider's ClearStorageKey): the row stays, without payload or
-- figures, so its version keeps counting up; the visitor leaves the stats (through the journal). Returns the new
-- version, or NULL when p_version was stale.
CREATE OR REPLACE FUNCTION ball_visitors_clear(p_service text, p_state text, p_key text, p_version integer) RETURNS integer
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $f$
DECLARE
    v_version integer;
    v_before ball_visitor_figures[];
BEGIN
    WITH old AS (
        SELECT s.ctid AS row_id,
               ROW(s.color, s.red_views, s.blue_views, s.first_seen, s.last_seen, s.ledger)::ball_visitor_figures AS before
        FROM ball_grain_state s
        WHERE s.grain_key = p_key AND s.key_n0 = 0 AND s.key_n1 = 0 AND s.state_name = p_state AND s.service_id = p_service
    ), cleared AS (
        UPDATE ball_grain_state g
        SET payload = NULL, version = ball_next_version(g.version), modified_on = now(), color = NULL, red_views = NULL,
            blue_views = NULL, first_seen = NULL, last_seen = NULL, browser = NULL, ledger = NULL
        FROM old
        WHERE g.ctid = old.row_id AND g.version = p_version
        RETURNING g.version, old.before
    )
    SELECT c.version, ARRAY[c.before] INTO v_version, v_before FROM cleared c;

    IF v_version IS NOT NULL THEN
        -- Erasure ledger (issue 16): nothing in the site clears a visitor; an operator's call is an admin erasure.
        INSERT INTO ball_stats_journal (before, after, reason) VALUES (v_before, ARRAY[NULL::ball_visitor_figures], 'admin');
    END IF;
    RETURN v_version;
END
$f$;

-- Erases visitors: their rows go, whatever their version (forgetting wins over any write in
-- flight, which then finds no row and fails as stale), and they leave the totals and the days
-- (through the journal, in this transaction).
-- With p_not_seen_since, only those whose last visit is older (retention). p_reason (forget,
-- retention, admin) is the erasure ledger's (issue 16). Returns the keys erased.
--
-- Each row is deleted by its key, one index probe per key, in key order (the lock order). Not by
-- the ctid a probe found: a row that a concurrent write updated meanwhile has a new ctid, so under
-- READ COMMITTED the delete's recheck would skip it and the row would silently stay. By key, the
-- delete waits for that write, then rechecks its conditions on the row as the write left it (a
-- visit that made the visitor recent keeps them from retention) and deletes that row; RETURNING
-- gives the figures it held, which is what leaves the stats.
--
-- Its commit always waits for the synchronous standby, even when there was nothing to delete: a
-- caller whose earlier erasure of these keys got no answer, or a warning (the wait for the standby
-- cancelled), sends it again, and that earlier erasure may stand on the primary alone. When this
-- one deletes nothing it would write no WAL and its commit would not wait; a transactional WAL
-- message (no table touched) gives it a commit record to wait for, and a standby that has this
-- commit has every earlier one.
CREATE OR REPLACE FUNCTION ball_visitors_erase(
    p_service text, p_state text, p_keys text[], p_not_seen_since timestamptz DEFAULT NULL, p_reason text DEFAULT 'admin')
RETURNS TABLE (erased_key text)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off SET enable_bitmapscan = off SET enable_hashjoin = off SET enable_mergejoin = off
AS $f$
DECLARE
    v_key text COLLATE "C";  -- the key columns' collation: the probe compares bytes, and uses the primary key
    v_row ball_visitor_figures;
    v_keys text[] := '{}';
    v_before ball_visitor_figures[] := '{}';
BEGIN
    -- A loop rather than one DELETE ... USING the keys: however the planner would weigh a join
    -- (on a small table, a walk of the whole primary key can look cheaper), each statement here
    -- is one probe of the primary key, and the keys come in the order locks are taken.
    FOR v_key IN SELECT DISTINCT k COLLATE "C" FROM unnest(p_keys) AS k WHERE k IS NOT NULL ORDER BY 1 LOOP
        DELETE FROM ball_grain_state g
        WHERE g.grain_key = v_key AND g.key_n0 = 0 AND g.key_n1 = 0
          AND g.state_name = p_state AND g.service_id = p_service
          AND (p_not_seen_since IS NULL OR g.last_seen < p_not_seen_since)
        -- The columns in the type's order: a composite target takes them field by field.
        RETURNING g.color, g.red_views, g.blue_views, g.first_seen, g.last_seen, g.ledger INTO v_row;
        IF FOUND THEN
            v_keys := v_keys || v_key;
            v_before := v_before || v_row;
        END IF;
    END LOOP;

    IF cardinality(v_keys) = 0 THEN
        PERFORM pg_logical_emit_message(true, 'ball_visitors_erase', 'nothing to erase');
        RETURN;
    END IF;

    -- Out of the totals and days, into the erasure ledger (issue 16), when the journal is folded:
    -- after the visits that put these figures there, whose journal rows committed before this one.
    INSERT INTO ball_stats_journal (before, after, reason)
    VALUES (v_before, array_fill(NULL::ball_visitor_figures, ARRAY[cardinality(v_keys)]), p_reason);
    RETURN QUERY SELECT unnest(v_keys);
END
$f$;

-- The ADO.NET provider's write (WriteToStorageKey): a visitor goes through ball_visitors_write,
-- its figures read from the payload (the only JSON parsed in the database, and only in the
-- provider's mode); any other grain's state is version-checked as the provider expects.
CREATE OR REPLACE FUNCTION ball_grain_state_write(
    p_service text, p_state text, p_key text, p_n0 bigint, p_n1 bigint, p_payload bytea, p_version integer) RETURNS integer
LANGUAGE plpgsql AS $f$
DECLARE
    j jsonb;
    v_version integer;
BEGIN
    IF p_state = 'visitor' AND p_n0 = 0 AND p_n1 = 0 AND p_payload IS NOT NULL THEN
        j := convert_from(p_payload, 'UTF8')::jsonb;
        SELECT w.new_version INTO v_version
        FROM ball_stats_key k
        CROSS JOIN LATERAL ball_visitors_write(
            p_service, p_state, ARRAY[p_key], ARRAY[p_payload], ARRAY[p_version],
            ARRAY[ball_visitor_pid(k.inner_pad, k.outer_pad, p_key)], ARRAY[j->>'c'],
            ARRAY[(j->>'r')::bigint], ARRAY[(j->>'b')::bigint], ARRAY[(j->>'f')::timestamptz],
            ARRAY[(j->>'l')::timestamptz], ARRAY[j->>'u']) w;
        RETURN v_version;
    END IF;

    IF p_version IS NULL THEN
        INSERT INTO ball_grain_state AS g (service_id, state_name, grain_key, key_n0, key_n1, payload, version)
        VALUES (p_service, p_state, p_key, p_n0, p_n1, p_payload, 1)
        ON CONFLICT ON CONSTRAINT ball_grain_state_pk DO NOTHING
        RETURNING g.version INTO v_version;
    ELSE
        UPDATE ball_grain_state g
        SET payload = p_payload, version = ball_next_version(g.version), modified_on = now()
        WHERE g.grain_key = p_key AND g.key_n0 = p_n0 AND g.key_n1 = p_n1
          AND g.state_name = p_state AND g.service_id = p_service AND g.version = p_version
        RETURNING g.version INTO v_version;
    END IF;
    RETURN v_version;
END
$f$;

-- The provider's ClearStorageKey: the row stays (payload NULL) so its version keeps counting up.
CREATE OR REPLACE FUNCTION ball_grain_state_clear(
    p_service text, p_state text, p_key text, p_n0 bigint, p_n1 bigint, p_version integer) RETURNS integer
LANGUAGE plpgsql AS $f$
DECLARE
    v_version integer;
BEGIN
    IF p_state = 'visitor' AND p_n0 = 0 AND p_n1 = 0 THEN
        RETURN ball_visitors_clear(p_service, p_state, p_key, p_version);
    END IF;
    UPDATE ball_grain_state g
    SET payload = NULL, version = ball_next_version(g.version), modified_on = now()
    WHERE g.grain_key = p_key AND g.key_n0 = p_n0 AND g.key_n1 = p_n1
      AND g.state_name = p_state AND g.service_id = p_service AND g.version = p_version
    RETURNING g.version INTO v_version;
    RETURN v_version;
END
$f$;

-- The key of the fold's advisory lock: an arbitrary constant, distinct from the migrator's and
-- the minute pruning's.
CREATE OR REPLACE FUNCTION ball_stats_fold_lock() RETURNS bigint
LANGUAGE sql IMMUTABLE AS $f$ SELECT 196022084::bigint $f$;

-- Moves the aggregates by every journal row this statement's snapshot sees, and deletes those
-- rows, in the caller's transaction: a row is folded in the transaction that deletes it, so
-- exactly once, and a row whose writer committed late (a lower id than rows folded before it) is
-- simply seen by the next fold. An erasure's row committed after the rows of the visits it
-- erases (it waited for their row locks), so no snapshot holds it without them, and no figure
-- goes below zero. Callers hold the fold lock (ball_stats_fold, ball_stats_rebuild). Returns
-- the journal rows folded.
CREATE OR REPLACE FUNCTION ball_stats_fold_journal() RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE
    v_rows bigint;
    v_before ball_visitor_figures[];
    v_after ball_visitor_figures[];
    v_written_before ball_visitor_figures[];
    v_written_after ball_visitor_figures[];
    v_written_browsers text[];
    v_forget ball_visitor_figures[];
    v_retention ball_visitor_figures[];
    v_admin ball_visitor_figures[];
BEGIN
    WITH taken AS (
        DELETE FROM ball_stats_journal j RETURNING j.before, j.after, j.browsers, j.reason
    ), changes AS (
        -- Unnested in the select list, in step (NULL where an array is shorter): in FROM, the
        -- composite elements would be expanded into their fields.
        SELECT t.reason, unnest(t.before) AS b, unnest(t.after) AS a, unnest(t.browsers) AS browser
        FROM taken t
    )
    SELECT (SELECT count(*) FROM taken), array_agg(c.b), array_agg(c.a),
           array_agg(c.b) FILTER (WHERE c.reason IS NULL), array_agg(c.a) FILTER (WHERE c.reason IS NULL),
           array_agg(c.browser) FILTER (WHERE c.reason IS NULL),
           array_agg(c.b) FILTER (WHERE c.reason = 'forget'), array_agg(c.b) FILTER (WHERE c.reason = 'retention'),
           array_agg(c.b) FILTER (WHERE c.reason = 'admin')
    INTO v_rows, v_before, v_after, v_written_before, v_written_after, v_written_browsers, v_forget, v_retention, v_admin
    FROM changes c;

    IF v_rows = 0 THEN
        RETURN 0;
    END IF;
    PERFORM ball_stats_apply(v_before, v_after);
    IF v_written_after IS NOT NULL THEN
        PERFORM ball_stats_assign(v_written_before, v_written_after, v_written_browsers);  -- writes only (issue 27)
    END IF;
    IF v_forget IS NOT NULL THEN
        PERFORM ball_stats_erased(v_forget, 'forget');  -- erasures only (issue 16)
    END IF;
    IF v_retention IS NOT NULL THEN
        PERFORM ball_stats_erased(v_retention, 'retention');
    END IF;
    IF v_admin IS NOT NULL THEN
        PERFORM ball_stats_erased(v_admin, 'admin');
    END IF;
    RETURN v_rows;
END
$f$;

-- Folds the journal, one caller at a time cluster-wide: every silo calls it about once a second
-- (StatsFolding). Without p_wait, a call made while another folds returns 0 at once (the next
-- second's call finds what it left); with it (a reader that needs every committed visit counted),
-- it waits for that fold to commit, then folds what is left. Returns the journal rows folded.
CREATE OR REPLACE FUNCTION ball_stats_fold(p_wait boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql AS $f$
BEGIN
    IF p_wait THEN
        PERFORM pg_advisory_xact_lock(ball_stats_fold_lock());
    ELSIF NOT pg_try_advisory_xact_lock(ball_stats_fold_lock()) THEN
        RETURN 0;
    END IF;
    RETURN ball_stats_fold_journal();
END
$f$;

-- Rebuilds the totals, days and minutes from the visitor rows, through ball_stats_apply (each
-- visitor arriving whole), in one transaction: for a repair after the rows were changed by hand
-- or restored without their aggregates. Visits wait while it runs, and count on top after.
-- ball_stats_assigned is left as it was: it is the record of what was assigned, which the rows
-- cannot rebuild (the erased are gone), and what a repair changed shows as its residual.
CREATE OR REPLACE FUNCTION ball_stats_rebuild(p_service text) RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE
    f ball_visitor_figures;
    page ball_visitor_figures[] := '{}';
    visitors bigint := 0;
BEGIN
    -- The fold lock first (a fold holding it may be waiting for the journal), then the journal:
    -- no write of visitors commits from here on, and none is half-way. What is journaled is
    -- folded (the assigned counters and the erasure ledger keep it; the rest is rebuilt below),
    -- so nothing already in the rows is counted again by a later fold.
    PERFORM pg_advisory_xact_lock(ball_stats_fold_lock());
    LOCK TABLE ball_stats_journal IN EXCLUSIVE MODE;
    PERFORM ball_stats_fold_journal();
    TRUNCATE ball_report_totals, ball_stats_daily, ball_visits_per_minute;
    FOR f IN
        -- The row's columns in the type's order: a composite loop variable takes them field by field.
        SELECT g.color, g.red_views, g.blue_views, g.first_seen, g.last_seen, g.ledger
        FROM ball_grain_state g
        WHERE g.service_id = p_service AND g.state_name = 'visitor' AND g.color IS NOT NULL
    LOOP
        page := page || f;
        IF cardinality(page) = 10000 THEN
            PERFORM ball_stats_apply(array_fill(NULL::ball_visitor_figures, ARRAY[10000]), page);
            visitors := visitors + 10000;
            page := '{}';
        END IF;
    END LOOP;
    PERFORM ball_stats_apply(array_fill(NULL::ball_visitor_figures, ARRAY[cardinality(page)]), page);
    RETURN visitors + cardinality(page);
END
$f$;

-- Only the last hour of minutes is read (StatsSnapshot.MinutesShown). Every silo calls this
-- periodically (MinutePruning): one call at a time deletes, and a call made while another holds
-- the lock returns 0 at once instead of queueing behind it on the same rows. The key is an
-- arbitrary constant, distinct from the migrator's.
CREATE OR REPLACE FUNCTION ball_stats_prune_minutes() RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE
    gone bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(196022083) THEN
        RETURN 0;
    END IF;
    DELETE FROM ball_visits_per_minute WHERE minute < now() - interval '61 minutes';
    GET DIAGNOSTICS gone = ROW_COUNT;
    RETURN gone;
END
$f$;
