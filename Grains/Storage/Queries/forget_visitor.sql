-- Erases one visitor's grain state: the row goes, whatever its version (forgetting wins over any
-- write in flight, which then finds no row and fails as stale). The stats triggers
-- (004_stats_triggers.sql) delete the read-model row and take the visitor out of the totals, the
-- days and the minutes in the same transaction.
DELETE FROM ball_grain_state
WHERE grain_key = $1 AND key_n0 = 0 AND key_n1 = 0
  AND state_name = $2 AND service_id = $3
RETURNING version
