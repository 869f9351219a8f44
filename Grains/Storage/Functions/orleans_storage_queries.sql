-- The named queries of Microsoft.Orleans.Persistence.AdoNet, loaded by the provider at start-up.
-- Writes and clears go through the functions in visitors.sql, so a visitor written by the
-- provider keeps the same row and the same stats as one written by the grouped storage.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS PayloadBinary, version AS Version
FROM ball_grain_state
WHERE grain_key = coalesce(@GrainIdExtensionString, '')
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1
  AND state_name = @GrainTypeString AND service_id = @ServiceId
$q$),
-- No row back means the grain's ETag was stale.
('WriteToStorageKey', $q$
SELECT v AS NewGrainStateVersion
FROM ball_grain_state_write(@ServiceId, @GrainTypeString, coalesce(@GrainIdExtensionString, ''),
                            @GrainIdN0, @GrainIdN1, @PayloadBinary, @GrainStateVersion) AS v
WHERE v IS NOT NULL
$q$),
('ClearStorageKey', $q$
SELECT v AS version
FROM ball_grain_state_clear(@ServiceId, @GrainTypeString, coalesce(@GrainIdExtensionString, ''),
                            @GrainIdN0, @GrainIdN1, @GrainStateVersion) AS v
WHERE v IS NOT NULL
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
