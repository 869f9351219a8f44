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
