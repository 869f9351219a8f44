-- Grain state for Microsoft.Orleans.Persistence.AdoNet, in our own shape.
--
-- A row is identified by its natural key: service, state name, grain key. The reference
-- schema keys rows by a 32-bit hash with no unique constraint, so two activations that write
-- first at the same moment can both insert; here the primary key makes the second one lose
-- cleanly (ON CONFLICT DO NOTHING returns no version, and Orleans raises
-- InconsistentStateException). The provider's hash parameters are accepted and ignored.
CREATE TABLE IF NOT EXISTS ball_grain_state (
    service_id   text        NOT NULL,
    state_name   text        NOT NULL,
    grain_key    text        NOT NULL,   -- the string key or key extension; '' when there is none
    key_n0       bigint      NOT NULL,   -- integer and Guid keys, as the provider splits them
    key_n1       bigint      NOT NULL,
    payload      bytea,                  -- NULL after ClearStateAsync
    version      integer     NOT NULL,
    modified_on  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ball_grain_state_pk PRIMARY KEY (grain_key, key_n0, key_n1, state_name, service_id)
);

-- Lets the read-model healer find recently written visitors without a full scan.
CREATE INDEX IF NOT EXISTS ball_grain_state_modified
    ON ball_grain_state (state_name, modified_on);

-- The named queries the Orleans ADO.NET providers load at start-up.
CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS PayloadBinary, version AS Version
FROM ball_grain_state
WHERE grain_key = coalesce(@GrainIdExtensionString, '')
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1
  AND state_name = @GrainTypeString AND service_id = @ServiceId
$q$),
-- One statement, version-checked: an update when the grain holds a version, an insert when it
-- holds none. Either returns the new version; no row back means the grain's ETag was stale.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE ball_grain_state
    SET payload = @PayloadBinary, version = version + 1, modified_on = now()
    WHERE grain_key = coalesce(@GrainIdExtensionString, '')
      AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1
      AND state_name = @GrainTypeString AND service_id = @ServiceId
      AND version = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO ball_grain_state (service_id, state_name, grain_key, key_n0, key_n1, payload, version)
    SELECT @ServiceId, @GrainTypeString, coalesce(@GrainIdExtensionString, ''), @GrainIdN0, @GrainIdN1, @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT ON CONSTRAINT ball_grain_state_pk DO NOTHING
    RETURNING version
)
SELECT version AS NewGrainStateVersion FROM updated
UNION ALL
SELECT version FROM inserted
$q$),
-- Clearing keeps the row (payload NULL) so the version keeps counting up.
('ClearStorageKey', $q$
UPDATE ball_grain_state
SET payload = NULL, version = version + 1, modified_on = now()
WHERE grain_key = coalesce(@GrainIdExtensionString, '')
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1
  AND state_name = @GrainTypeString AND service_id = @ServiceId
  AND version = @GrainStateVersion
RETURNING version
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
