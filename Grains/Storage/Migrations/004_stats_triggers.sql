-- The stats read model follows grain state in the same transaction: statement-level triggers on
-- ball_grain_state see every written visitor row before and after (transition tables), so one
-- batch of writes is one set-based pass here, and whatever writes grain state (the grouped
-- storage, the ADO.NET provider, COPY in `seed`, a repair by hand) keeps the stats.
--
-- Exact without locks of its own: a visitor's changes are "after minus before" of the same row,
-- and the row lock of the grain-state write orders any two writers of one visitor.

-- Takes up to p_views views of p_color away from the minutes in [p_from, p_to), latest first (or
-- earliest first), never below zero in a minute; returns how many it could not find there.
-- Rows of shard 16, which no visit writes, so an erasure never waits on a visit's rows (or they on it).
CREATE OR REPLACE FUNCTION ball_stats_take_minutes(
    p_color text, p_from timestamptz, p_to timestamptz, p_latest_first boolean, p_views bigint) RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE
    m record;
    taken bigint;
BEGIN
    IF p_views <= 0 OR p_from >= p_to THEN
        RETURN greatest(p_views, 0);
    END IF;
    -- Two loops rather than a dynamic ORDER BY: each walks the minutes' primary key in one
    -- direction and stops as soon as the views are found.
    IF p_latest_first THEN
        FOR m IN SELECT minute, sum(visits) AS visits FROM ball_visits_per_minute
                 WHERE minute >= p_from AND minute < p_to AND color = p_color
                 GROUP BY minute HAVING sum(visits) > 0 ORDER BY minute DESC
        LOOP
            taken := least(m.visits, p_views);
            INSERT INTO ball_visits_per_minute AS t (minute, color, shard, visits) VALUES (m.minute, p_color, 16, -taken)
            ON CONFLICT (minute, color, shard) DO UPDATE SET visits = t.visits + excluded.visits;
            p_views := p_views - taken;
            EXIT WHEN p_views = 0;
        END LOOP;
    ELSE
        FOR m IN SELECT minute, sum(visits) AS visits FROM ball_visits_per_minute
                 WHERE minute >= p_from AND minute < p_to AND color = p_color
                 GROUP BY minute HAVING sum(visits) > 0 ORDER BY minute
        LOOP
            taken := least(m.visits, p_views);
            INSERT INTO ball_visits_per_minute AS t (minute, color, shard, visits) VALUES (m.minute, p_color, 16, -taken)
            ON CONFLICT (minute, color, shard) DO UPDATE SET visits = t.visits + excluded.visits;
            p_views := p_views - taken;
            EXIT WHEN p_views = 0;
        END LOOP;
    END IF;
    RETURN p_views;
END
$f$;

-- Takes erased visitors' views out of the days and minutes they were put in, and deletes their
-- read-model rows. The days are exact: the ledger says how many views each day got. The minutes
-- of a day are not recorded per visitor (that would cost a row per visitor and minute), so a
-- day's views are taken from the minutes between the visitor's first and last visit on that
-- day, latest first, then from the rest of that day; only history from before this bookkeeping
-- (which may hold views on other days than the ledger says) reaches into other days, nearest
-- first. So the minutes of every day always sum to that day's views, no minute goes below zero,
-- and the minutes and days always sum to the totals.
-- Erasures take one lock, so that each sees what the ones before it left; they are rare.
CREATE OR REPLACE FUNCTION ball_stats_forget(p_keys text[], p_before bytea[], p_after bytea[]) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
    part record;
    day_start timestamptz;
    day_end timestamptz;
    from_minute timestamptz;
    to_minute timestamptz;
    left_over bigint;
    taken_days date[] := '{}';
    taken_colors text[] := '{}';
    taken_views bigint[] := '{}';
BEGIN
    PERFORM pg_advisory_xact_lock(4242002);
    FOR part IN
        WITH erased AS MATERIALIZED (
            SELECT ball_visitor_pid(k.inner_pad, k.outer_pad, c.grain_key) AS pid, convert_from(c.before, 'UTF8')::jsonb AS j
            FROM unnest(p_keys, p_before, p_after) AS c(grain_key, before, after)
            CROSS JOIN ball_stats_key k
            WHERE c.after IS NULL AND c.before IS NOT NULL
        ), gone AS (
            -- By key: IN over the few erased pids is a handful of index probes.
            DELETE FROM ball_visitor_stats WHERE pid IN (SELECT pid FROM erased)
            RETURNING pid, ledger
        ), entries AS (
            -- The ledger's closed days, then the last visit's day with the state's own totals.
            SELECT e.pid, t.ord, t.day, t.red, t.blue,
                   (e.j->>'f')::timestamptz AS first_seen, (e.j->>'l')::timestamptz AS last_seen
            FROM erased e LEFT JOIN gone g USING (pid)
            CROSS JOIN LATERAL (
                SELECT i AS ord, DATE '1970-01-01' + g.ledger[3 * i - 2] AS day,
                       g.ledger[3 * i - 1]::bigint AS red, g.ledger[3 * i]::bigint AS blue
                FROM generate_series(1, coalesce(array_length(g.ledger, 1), 0) / 3) AS i
                UNION ALL
                SELECT 2147483647, ball_day((e.j->>'l')::timestamptz),
                       coalesce((e.j->>'r')::bigint, 0), coalesce((e.j->>'b')::bigint, 0)
            ) t
        ), per_day AS (
            SELECT day, first_seen, last_seen,
                   red - coalesce(lag(red) OVER w, 0) AS red, blue - coalesce(lag(blue) OVER w, 0) AS blue
            FROM entries
            WINDOW w AS (PARTITION BY pid ORDER BY ord)
        )
        SELECT p.day, c.color, CASE c.color WHEN 'red' THEN p.red ELSE p.blue END AS views, p.first_seen, p.last_seen
        FROM per_day p CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
        WHERE p.day IS NOT NULL AND CASE c.color WHEN 'red' THEN p.red ELSE p.blue END <> 0
    LOOP
        taken_days := taken_days || part.day;
        taken_colors := taken_colors || part.color;
        taken_views := taken_views || part.views;
        day_start := part.day::timestamp AT TIME ZONE 'UTC';
        day_end := day_start + interval '1 day';
        from_minute := greatest(day_start, date_trunc('minute', part.first_seen));
        to_minute := least(day_end, date_trunc('minute', part.last_seen) + interval '1 minute');
        left_over := ball_stats_take_minutes(part.color, from_minute, to_minute, true, part.views);
        left_over := ball_stats_take_minutes(part.color, day_start, least(from_minute, day_end), true, left_over);
        left_over := ball_stats_take_minutes(part.color, greatest(to_minute, day_start), day_end, true, left_over);
        left_over := ball_stats_take_minutes(part.color, '-infinity', day_start, true, left_over);
        PERFORM ball_stats_take_minutes(part.color, day_end, 'infinity', false, left_over);
    END LOOP;

    INSERT INTO ball_stats_daily AS d (day, color, shard, visitors, views)
    SELECT x.day, x.color, 16, 0, -sum(x.views)
    FROM unnest(taken_days, taken_colors, taken_views) AS x(day, color, views)
    GROUP BY x.day, x.color ORDER BY x.day, x.color
    ON CONFLICT (day, color, shard) DO UPDATE SET views = d.views + excluded.views;
END
$f$;

-- Records changes of visitors: for each, the payload before and after (NULL: no state).
-- Upserts their read-model rows (absolute values, so a replay changes nothing) and adds the
-- per-color differences to this transaction's shard of the totals, of the minute and the day of
-- the visitor's new last_seen, and of the days of their first visit (new visitors). Erased
-- visitors (after NULL) go through ball_stats_forget, which also deletes their rows.
-- PL/pgSQL, not SQL, for its plan cache: a SQL function's statement is planned at every call,
-- and that planning was most of a batch's time (measured: 2.2 of 3.6 ms a batch).
CREATE OR REPLACE FUNCTION ball_stats_record(p_keys text[], p_before bytea[], p_after bytea[]) RETURNS void
LANGUAGE plpgsql AS $f$
BEGIN
    IF p_keys IS NULL THEN
        RETURN;  -- the statement wrote no visitor (the other half of a batch of inserts or updates)
    END IF;
    IF array_position(p_after, NULL) IS NOT NULL THEN
        PERFORM ball_stats_forget(p_keys, p_before, p_after);
    END IF;
    WITH change AS (
        -- Each visitor's times parsed once here, not once per color below.
        SELECT pid, before, after, (after->>'f')::timestamptz AS first_seen, (after->>'l')::timestamptz AS last_seen,
               ball_day((before->>'f')::timestamptz) AS first_day_before
        FROM (SELECT ball_visitor_pid(k.inner_pad, k.outer_pad, c.grain_key) AS pid,
                     convert_from(c.before, 'UTF8')::jsonb AS before,
                     convert_from(c.after, 'UTF8')::jsonb AS after
              FROM unnest(p_keys, p_before, p_after) AS c(grain_key, before, after)
              CROSS JOIN ball_stats_key k) c
    ), upserted AS (
        INSERT INTO ball_visitor_stats AS v (pid, color, red_views, blue_views, first_seen, last_seen, browser)
        SELECT pid, after->>'c', (after->>'r')::bigint, (after->>'b')::bigint, first_seen, last_seen, after->>'u'
        FROM change WHERE after IS NOT NULL
        ON CONFLICT (pid) DO UPDATE
            SET color = excluded.color, red_views = excluded.red_views, blue_views = excluded.blue_views,
                first_seen = excluded.first_seen, last_seen = excluded.last_seen, browser = excluded.browser,
                -- A visit on another day closes the last visit's day in the ledger (003).
                ledger = CASE WHEN ball_day(excluded.last_seen) = ball_day(v.last_seen) THEN v.ledger
                              ELSE coalesce(v.ledger, '{}') || ARRAY[ball_day(v.last_seen) - DATE '1970-01-01',
                                                                     v.red_views::integer, v.blue_views::integer] END
    ), delta AS (
        SELECT col.color,
               CASE WHEN c.after->>'c' = col.color THEN 1 ELSE 0 END AS gained,
               ball_day(c.first_seen) AS gained_day,
               CASE WHEN c.before->>'c' = col.color THEN 1 ELSE 0 END AS lost,
               c.first_day_before AS lost_day,
               coalesce((c.after->>col.field)::bigint, 0) - coalesce((c.before->>col.field)::bigint, 0) AS views,
               c.last_seen AS seen
        FROM change c
        CROSS JOIN (VALUES ('red', 'r'), ('blue', 'b')) AS col(color, field)
    ), totals AS (
        -- Rows locked in one order (color, then day or minute), so two transactions on one shard
        -- wait, never deadlock.
        INSERT INTO ball_report_totals AS t (color, shard, visitors, views)
        SELECT color, ball_stats_shard(), sum(gained - lost), sum(views) FROM delta
        GROUP BY color HAVING sum(gained - lost) <> 0 OR sum(views) <> 0 ORDER BY color
        ON CONFLICT (color, shard) DO UPDATE SET visitors = t.visitors + excluded.visitors, views = t.views + excluded.views
    ), days AS (
        -- Views on the day of the visit; a new visitor on their first day. A returning visitor,
        -- who was counted on their first day before and still is, adds no row to sum here.
        INSERT INTO ball_stats_daily AS d (day, color, shard, visitors, views)
        SELECT e.day, e.color, ball_stats_shard(), sum(e.visitors), sum(e.views)
        FROM (SELECT ball_day(seen) AS day, color, 0 AS visitors, views FROM delta WHERE views <> 0 AND seen IS NOT NULL
              UNION ALL
              SELECT gained_day, color, gained, 0 FROM delta WHERE gained = 1 AND (lost = 0 OR lost_day <> gained_day)
              UNION ALL
              SELECT lost_day, color, -lost, 0 FROM delta WHERE lost = 1 AND (gained = 0 OR lost_day <> gained_day)) e
        WHERE e.day IS NOT NULL
        GROUP BY e.day, e.color HAVING sum(e.visitors) <> 0 OR sum(e.views) <> 0 ORDER BY e.day, e.color
        ON CONFLICT (day, color, shard) DO UPDATE SET visitors = d.visitors + excluded.visitors, views = d.views + excluded.views
    )
    -- Erased visitors' views (seen is NULL) left the minutes and days in ball_stats_forget.
    INSERT INTO ball_visits_per_minute AS m (minute, color, shard, visits)
    SELECT date_trunc('minute', seen), color, ball_stats_shard(), sum(views) FROM delta
    WHERE seen IS NOT NULL GROUP BY 1, color HAVING sum(views) <> 0 ORDER BY 1, color
    ON CONFLICT (minute, color, shard) DO UPDATE SET visits = m.visits + excluded.visits;
END
$f$;

CREATE OR REPLACE FUNCTION ball_stats_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM ball_stats_record(array_agg(n.grain_key), array_agg(NULL::bytea), array_agg(n.payload))
    FROM new_rows n
    WHERE n.state_name = 'visitor' AND n.payload IS NOT NULL;
    RETURN NULL;
END
$f$;

-- Old and new rows are paired by position: PostgreSQL appends each updated row's old and new
-- version to the two transition tables together, so they come out in the same order. Joining
-- them instead was planned as a nested loop (the plan cached for the first, small, batch), which
-- compared every old row with every new one: 65,000 comparisons and a quarter of the trigger's
-- time for a batch of 256. The keys are compared as a check; a statement that changed keys, or
-- any surprise in the order, is paired by key as before. An unchanged payload is recorded as a
-- change of nothing.
CREATE OR REPLACE FUNCTION ball_stats_on_update() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    keys text[];
    old_keys text[];
    before bytea[];
    after bytea[];
BEGIN
    SELECT array_agg(grain_key), array_agg(payload) INTO keys, after FROM new_rows WHERE state_name = 'visitor';
    SELECT array_agg(grain_key), array_agg(payload) INTO old_keys, before FROM old_rows WHERE state_name = 'visitor';
    IF keys IS DISTINCT FROM old_keys THEN
        SELECT array_agg(n.grain_key), array_agg(o.payload), array_agg(n.payload) INTO keys, before, after
        FROM new_rows n
        JOIN old_rows o USING (grain_key, key_n0, key_n1, state_name, service_id)
        WHERE n.state_name = 'visitor';
    END IF;
    PERFORM ball_stats_record(keys, before, after);
    RETURN NULL;
END
$f$;

CREATE OR REPLACE FUNCTION ball_stats_on_delete() RETURNS trigger
LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM ball_stats_record(array_agg(o.grain_key), array_agg(o.payload), array_agg(NULL::bytea))
    FROM old_rows o
    WHERE o.state_name = 'visitor' AND o.payload IS NOT NULL;
    RETURN NULL;
END
$f$;

-- Transition tables allow one event per trigger, hence three. Created only when missing: this
-- file runs at every silo start, and (re)creating a trigger locks the table against visits.
DO $t$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'ball_stats_after_insert' AND tgrelid = 'ball_grain_state'::regclass) THEN
        CREATE TRIGGER ball_stats_after_insert AFTER INSERT ON ball_grain_state
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ball_stats_on_insert();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'ball_stats_after_update' AND tgrelid = 'ball_grain_state'::regclass) THEN
        CREATE TRIGGER ball_stats_after_update AFTER UPDATE ON ball_grain_state
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ball_stats_on_update();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'ball_stats_after_delete' AND tgrelid = 'ball_grain_state'::regclass) THEN
        CREATE TRIGGER ball_stats_after_delete AFTER DELETE ON ball_grain_state
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ball_stats_on_delete();
    END IF;
END
$t$;
