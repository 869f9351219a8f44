-- The grain key of the visitor whose pseudonymous id is $1. A pseudonym cannot be reversed, so
-- this computes it for visitor rows: first for those written within ten minutes of the visit the
-- read model last saw under that pseudonym (through ball_grain_state_modified: a few rows), and
-- only when that finds nothing (a row written in bulk, or clocks far apart), for all of them: a
-- scan of the table, which only an admin's erasure by pseudonym ever asks for.
WITH seen AS MATERIALIZED (
    SELECT last_seen FROM ball_visitor_stats WHERE pid = $1
), near AS MATERIALIZED (
    SELECT g.grain_key
    FROM ball_grain_state g CROSS JOIN ball_stats_key k
    WHERE g.state_name = 'visitor'
      AND g.modified_on BETWEEN (SELECT last_seen FROM seen) - interval '10 minutes'
                            AND (SELECT last_seen FROM seen) + interval '10 minutes'
      AND g.service_id = $2 AND g.key_n0 = 0 AND g.key_n1 = 0
      AND ball_visitor_pid(k.inner_pad, k.outer_pad, g.grain_key) = $1
    LIMIT 1
)
SELECT grain_key FROM near
UNION ALL
(SELECT g.grain_key
 FROM ball_grain_state g CROSS JOIN ball_stats_key k
 WHERE NOT EXISTS (SELECT 1 FROM near)
   AND g.state_name = 'visitor' AND g.service_id = $2 AND g.key_n0 = 0 AND g.key_n1 = 0
   AND ball_visitor_pid(k.inner_pad, k.outer_pad, g.grain_key) = $1
 LIMIT 1)
