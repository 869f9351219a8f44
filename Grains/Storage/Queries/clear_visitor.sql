-- Clearing keeps the row (payload NULL) so its version keeps counting up, as the ADO.NET
-- provider's ClearStorageKey does.
UPDATE ball_grain_state
SET payload = NULL, version = version + 1, modified_on = now()
WHERE grain_key = $1 AND key_n0 = 0 AND key_n1 = 0
  AND state_name = $2 AND service_id = $3
  AND version = $4
RETURNING version
