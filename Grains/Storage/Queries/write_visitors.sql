-- A batch of visitor writes in one statement (so one transaction and one commit), with the
-- ADO.NET provider's rules per row: an update only where the stored version is the one the grain
-- holds; an insert only where the grain holds none and no row exists. The result lists the rows
-- written with their new version; a row missing from it had a stale version, and only that
-- grain's write fails. Triggers on ball_grain_state (004_stats_triggers.sql) keep the stats read
-- model in the same transaction.
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::bytea[], $3::integer[]) AS i(grain_key, payload, version)
), updated AS (
    UPDATE ball_grain_state g
    SET payload = i.payload, version = g.version + 1, modified_on = now()
    FROM input i
    -- ANY() as well as the join: the planner cannot see how few rows unnest() gives, and without
    -- it may walk the whole primary key to merge-join them (measured: the cost of a batch then
    -- grows with the table). With it, the rows are found by index probes.
    WHERE g.grain_key = ANY($1) AND g.grain_key = i.grain_key AND g.key_n0 = 0 AND g.key_n1 = 0
      AND g.state_name = $4 AND g.service_id = $5
      AND g.version = i.version
    RETURNING g.grain_key, g.version
), inserted AS (
    INSERT INTO ball_grain_state (service_id, state_name, grain_key, key_n0, key_n1, payload, version)
    SELECT $5, $4, i.grain_key, 0, 0, i.payload, 1
    FROM input i
    WHERE i.version IS NULL
    ON CONFLICT ON CONSTRAINT ball_grain_state_pk DO NOTHING
    RETURNING grain_key, version
)
SELECT grain_key, version FROM updated
UNION ALL
SELECT grain_key, version FROM inserted
