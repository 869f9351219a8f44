-- Every visitor row a batch of activations asks for, in one round trip. The primary key leads
-- with grain_key, so ANY() is a handful of index probes. String keys leave both integer key
-- columns 0, as the ADO.NET provider stores them.
SELECT grain_key, payload, version
FROM ball_grain_state
WHERE grain_key = ANY($1)
  AND key_n0 = 0 AND key_n1 = 0
  AND state_name = $2 AND service_id = $3
