-- One batch of visitors not seen since the cut-off $2: neither written since (every counted
-- visit writes the row, and ball_grain_state_modified finds the old rows without a scan) nor
-- last seen since, by their own state. The outer conditions are checked again on a row that a
-- visit updated meanwhile, which then stays. The stats triggers take the erased visitors out of
-- the read model, the totals, the days and the minutes in the same transaction.
DELETE FROM ball_grain_state g
WHERE (g.grain_key, g.key_n0, g.key_n1, g.state_name, g.service_id) IN (
        SELECT grain_key, key_n0, key_n1, state_name, service_id
        FROM ball_grain_state
        WHERE state_name = 'visitor' AND modified_on < $2 AND service_id = $1
          AND (payload IS NULL OR (convert_from(payload, 'UTF8')::jsonb->>'l')::timestamptz < $2)
        LIMIT $3)
  AND g.modified_on < $2
  AND (g.payload IS NULL OR (convert_from(g.payload, 'UTF8')::jsonb->>'l')::timestamptz < $2)
