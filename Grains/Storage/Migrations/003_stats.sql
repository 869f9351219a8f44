-- The stats tables as they were when migrations became versioned (main 86288d4): the pseudonym
-- key, the per-visitor read model, and the sharded totals, minutes and days. 004 folds the
-- per-visitor rows into the visitor's grain-state row.

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

CREATE TABLE IF NOT EXISTS ball_visitor_stats (
    pid        bytea       PRIMARY KEY,
    color      text        NOT NULL CHECK (color IN ('red', 'blue')),
    red_views  bigint      NOT NULL,
    blue_views bigint      NOT NULL,
    views      bigint      GENERATED ALWAYS AS (red_views + blue_views) STORED,
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    browser    text,
    ledger     integer[]
);

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

CREATE TABLE IF NOT EXISTS ball_stats_daily (
    day      date     NOT NULL,
    color    text     NOT NULL CHECK (color IN ('red', 'blue')),
    shard    smallint NOT NULL DEFAULT 0,
    visitors bigint   NOT NULL DEFAULT 0,
    views    bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (day, color, shard)
);
