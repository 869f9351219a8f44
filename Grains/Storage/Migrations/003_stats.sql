-- The stats read model: one row per visitor under a pseudonymous id, the totals that summarise
-- those rows, and visits per minute. Only ball_stats_apply() writes them (besides a rebuild),
-- so rows, totals and minutes always move together, in one transaction.

-- The secret behind pseudonymous ids, made once per database. The HMAC pads are kept next to
-- the key so that SQL can compute HMAC-SHA256 with the built-in sha256() (no pgcrypto needed):
-- HMAC(k, m) = sha256((k xor opad) || sha256((k xor ipad) || m)).
CREATE TABLE IF NOT EXISTS ball_stats_key (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    key       bytea NOT NULL,
    inner_pad bytea NOT NULL,
    outer_pad bytea NOT NULL
);

CREATE OR REPLACE FUNCTION ball_hmac_pad(k bytea, pad integer) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $f$
    SELECT string_agg(set_byte('\x00'::bytea, 0, get_byte(padded, i) # pad), ''::bytea ORDER BY i)
    FROM (SELECT k || decode(repeat('00', 64 - length(k)), 'hex') AS padded) p,
         generate_series(0, 63) AS i
$f$;

-- 256 random bits from two v4 UUIDs (244 random bits) through sha256: built-ins only.
INSERT INTO ball_stats_key (key, inner_pad, outer_pad)
SELECT k, ball_hmac_pad(k, 54), ball_hmac_pad(k, 92)
FROM (SELECT sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())) AS k) s
ON CONFLICT (id) DO NOTHING;

-- The pseudonymous id of a visitor: the first 16 bytes of HMAC-SHA256(key, visitor id).
-- Written without FROM so the planner inlines it.
CREATE OR REPLACE FUNCTION ball_visitor_pid(inner_pad bytea, outer_pad bytea, visitor_id text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT substr(sha256(outer_pad || sha256(inner_pad || convert_to(visitor_id, 'UTF8'))), 1, 16)
$f$;

CREATE TABLE IF NOT EXISTS ball_visitor_stats (
    pid        bytea       PRIMARY KEY,
    color      text        NOT NULL CHECK (color IN ('red', 'blue')),
    red_views  bigint      NOT NULL,
    blue_views bigint      NOT NULL,
    views      bigint      GENERATED ALWAYS AS (red_views + blue_views) STORED,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);

-- Keyset pagination, either direction (a b-tree scans backwards as well). A color filter walks
-- the same index and skips the other color: with two colors near 50/50 that reads about twice
-- the rows of a page, cheaper than three more indexes on every visit's update.
CREATE INDEX IF NOT EXISTS ball_visitor_stats_first ON ball_visitor_stats (first_seen, pid);
CREATE INDEX IF NOT EXISTS ball_visitor_stats_last ON ball_visitor_stats (last_seen, pid);
CREATE INDEX IF NOT EXISTS ball_visitor_stats_views ON ball_visitor_stats (views, pid);

-- Totals and visits per minute are sharded: every transaction adds its changes to the rows of
-- its own shard (ball_stats_shard()), so concurrent batches do not queue on one row lock held
-- until their commits. Readers sum the shards. Upgrade of the unsharded shape of earlier builds:
DO $u$
BEGIN
    IF to_regclass('ball_report_totals') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('ball_report_totals') AND attname = 'shard') THEN
        ALTER TABLE ball_report_totals DROP CONSTRAINT ball_report_totals_pkey,
            ADD COLUMN shard smallint NOT NULL DEFAULT 0, ADD PRIMARY KEY (color, shard);
    END IF;
    IF to_regclass('ball_visits_per_minute') IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('ball_visits_per_minute') AND attname = 'shard') THEN
        ALTER TABLE ball_visits_per_minute DROP CONSTRAINT ball_visits_per_minute_pkey,
            ADD COLUMN shard smallint NOT NULL DEFAULT 0, ADD PRIMARY KEY (minute, color, shard);
    END IF;
END
$u$;

CREATE TABLE IF NOT EXISTS ball_report_totals (
    color    text     NOT NULL CHECK (color IN ('red', 'blue')),
    shard    smallint NOT NULL DEFAULT 0,
    visitors bigint   NOT NULL DEFAULT 0,
    views    bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (color, shard)
);

CREATE TABLE IF NOT EXISTS ball_visits_per_minute (
    minute timestamptz NOT NULL,
    color  text        NOT NULL CHECK (color IN ('red', 'blue')),
    shard  smallint    NOT NULL DEFAULT 0,
    visits bigint      NOT NULL,
    PRIMARY KEY (minute, color, shard)
);

-- The shard a transaction adds to: one per server process (a pooled connection), so two
-- batches in flight at once almost never share one.
CREATE OR REPLACE FUNCTION ball_stats_shard() RETURNS smallint
LANGUAGE sql STABLE AS $f$ SELECT (pg_backend_pid() % 16)::smallint $f$;

-- How far the reconciliation has read ball_grain_state, per service: a keyset position in
-- (modified_on, grain_key) order, so that catching up on a large backlog can stop and resume.
CREATE TABLE IF NOT EXISTS ball_stats_watermark (
    service_id  text        PRIMARY KEY,
    modified_on timestamptz NOT NULL,
    grain_key   text        NOT NULL DEFAULT ''
);

-- Visitor grain state as columns; inlined into the queries that read it.
CREATE OR REPLACE VIEW ball_visitor_payloads AS
SELECT g.service_id, g.grain_key, g.modified_on,
       j->>'c' AS color, (j->>'r')::bigint AS red_views, (j->>'b')::bigint AS blue_views,
       (j->>'f')::timestamptz AS first_seen, (j->>'l')::timestamptz AS last_seen
FROM ball_grain_state g
CROSS JOIN LATERAL (SELECT convert_from(g.payload, 'UTF8')::jsonb AS j) p
WHERE g.state_name = 'visitor' AND g.payload IS NOT NULL;

-- Heals the read model with absolute visitor states read from grain state (the reconciliation).
-- A row changes only when the state has more views than the row (views only grow), so replaying
-- a state, or an older one, changes nothing. Totals and minutes move by exactly the difference
-- between the new and the old row; the views count in the minute of the visitor's last_seen.
-- Healing and rebuilding take one advisory lock, so the "old" rows read here are still current
-- when the upsert runs; the triggers (004) never move a row backwards, so they cannot make a
-- healed row wrong either.
CREATE OR REPLACE FUNCTION ball_stats_apply(
    p_ids text[], p_colors text[], p_red bigint[], p_blue bigint[], p_first timestamptz[], p_last timestamptz[])
RETURNS integer  -- how many visitor rows changed
LANGUAGE plpgsql AS $f$
DECLARE
    changed integer;
BEGIN
    PERFORM pg_advisory_xact_lock(4242001);
    WITH input AS (
        SELECT DISTINCT ON (pid) pid, color, red, blue, first_seen, last_seen
        FROM (SELECT ball_visitor_pid(k.inner_pad, k.outer_pad, i.id) AS pid, i.*
              FROM unnest(p_ids, p_colors, p_red, p_blue, p_first, p_last) AS i(id, color, red, blue, first_seen, last_seen)
              CROSS JOIN ball_stats_key k) s
        ORDER BY pid, red + blue DESC
    ), old AS (
        SELECT v.pid, v.color, v.red_views, v.blue_views
        FROM ball_visitor_stats v JOIN input USING (pid)
    ), up AS (
        INSERT INTO ball_visitor_stats AS v (pid, color, red_views, blue_views, first_seen, last_seen)
        SELECT pid, color, red, blue, first_seen, last_seen FROM input
        ON CONFLICT (pid) DO UPDATE
            SET color = excluded.color, red_views = excluded.red_views, blue_views = excluded.blue_views,
                first_seen = excluded.first_seen, last_seen = excluded.last_seen
            WHERE v.red_views + v.blue_views < excluded.red_views + excluded.blue_views
        RETURNING v.pid, v.color, v.red_views, v.blue_views, v.last_seen
    ), delta AS (
        SELECT c.color,
               (CASE WHEN up.color = c.color THEN 1 ELSE 0 END)
                 - (CASE WHEN o.color = c.color THEN 1 ELSE 0 END) AS visitors,
               CASE c.color WHEN 'red' THEN up.red_views - coalesce(o.red_views, 0)
                            ELSE up.blue_views - coalesce(o.blue_views, 0) END AS views,
               date_trunc('minute', up.last_seen) AS minute
        FROM up LEFT JOIN old o USING (pid)
        CROSS JOIN (VALUES ('red'), ('blue')) AS c(color)
    ), minutes AS (
        INSERT INTO ball_visits_per_minute AS m (minute, color, shard, visits)
        SELECT minute, color, ball_stats_shard(), sum(views) FROM delta GROUP BY minute, color HAVING sum(views) <> 0
        ORDER BY minute, color
        ON CONFLICT (minute, color, shard) DO UPDATE SET visits = m.visits + excluded.visits
    ), totals AS (
        INSERT INTO ball_report_totals AS t (color, shard, visitors, views)
        SELECT color, ball_stats_shard(), sum(visitors), sum(views) FROM delta GROUP BY color ORDER BY color
        ON CONFLICT (color, shard) DO UPDATE SET visitors = t.visitors + excluded.visitors, views = t.views + excluded.views
    )
    -- PostgreSQL runs every data-modifying WITH exactly once, whether or not it is read.
    SELECT count(*) INTO changed FROM up;
    RETURN changed;
END
$f$;

-- Rebuilds the read model, its totals and visits per minute from grain state, set-based and in
-- one transaction (readers see the old read model until it commits, and never partial totals).
-- Grain state keeps only first and last visit, so each visitor's views count in the minute of
-- their last visit. About 5x faster than feeding the rows through ball_stats_apply.
CREATE OR REPLACE FUNCTION ball_stats_rebuild(p_service_id text) RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE
    visitors bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(4242001);
    TRUNCATE ball_visitor_stats, ball_visits_per_minute;
    INSERT INTO ball_visitor_stats (pid, color, red_views, blue_views, first_seen, last_seen)
    SELECT ball_visitor_pid(k.inner_pad, k.outer_pad, p.grain_key), p.color, p.red_views, p.blue_views, p.first_seen, p.last_seen
    FROM ball_visitor_payloads p CROSS JOIN ball_stats_key k
    WHERE p.service_id = p_service_id;
    GET DIAGNOSTICS visitors = ROW_COUNT;

    DELETE FROM ball_report_totals;
    INSERT INTO ball_report_totals (color, shard, visitors, views)
    SELECT c.color, 0,
           (SELECT count(*) FROM ball_visitor_stats v WHERE v.color = c.color),
           CASE c.color WHEN 'red' THEN (SELECT coalesce(sum(red_views), 0) FROM ball_visitor_stats)
                        ELSE (SELECT coalesce(sum(blue_views), 0) FROM ball_visitor_stats) END
    FROM (VALUES ('red'), ('blue')) AS c(color);

    INSERT INTO ball_visits_per_minute (minute, color, visits)
    SELECT minute, color, sum(visits)
    FROM (SELECT date_trunc('minute', last_seen) AS minute, 'red' AS color, red_views AS visits FROM ball_visitor_stats
          UNION ALL
          SELECT date_trunc('minute', last_seen), 'blue', blue_views FROM ball_visitor_stats) m
    GROUP BY minute, color
    HAVING sum(visits) <> 0;
    RETURN visitors;
END
$f$;
