-- The named queries of Microsoft.Orleans.Clustering.AdoNet, loaded by the provider at start-up.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO ball_membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 FROM inserted
$q$),
-- Membership rows change only together with a bump of the table version the caller read
-- (optimistic concurrency across silos): both happen, or neither.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE ball_membership_version
    SET version = version + 1, changed_on = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
    RETURNING deployment_id
), inserted AS (
    INSERT INTO ball_membership (deployment_id, address, port, generation, silo_name, host_name,
                                 status, proxy_port, start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName,
           @Status, @ProxyPort, @StartTime, @IAmAliveTime
    FROM bumped
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 FROM inserted
$q$),
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE ball_membership_version
    SET version = version + 1, changed_on = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
    RETURNING deployment_id
), updated AS (
    UPDATE ball_membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM bumped
    WHERE m.deployment_id = bumped.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*) > 0 FROM updated
$q$),
('UpdateIAmAlivetimeKey', $q$
UPDATE ball_membership
SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),
('MembershipReadRowKey', $q$
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status,
       m.proxy_port AS ProxyPort, m.suspect_times AS SuspectTimes,
       m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM ball_membership_version v
LEFT JOIN ball_membership m
       ON m.deployment_id = v.deployment_id
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId
$q$),
('MembershipReadAllKey', $q$
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation,
       m.silo_name AS SiloName, m.host_name AS HostName, m.status AS Status,
       m.proxy_port AS ProxyPort, m.suspect_times AS SuspectTimes,
       m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM ball_membership_version v
LEFT JOIN ball_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId
$q$),
('GatewaysQueryKey', $q$
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM ball_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),
('DeleteMembershipTableEntriesKey', $q$
WITH gone AS (
    DELETE FROM ball_membership WHERE deployment_id = @DeploymentId
)
DELETE FROM ball_membership_version WHERE deployment_id = @DeploymentId
$q$),
-- Dead silos (status 6) that have not been heard of since the cut-off.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM ball_membership
WHERE deployment_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime
$q$),
-- The provider decides in .NET which dead rows are old enough, then deletes each one only if
-- it is still exactly the row it read.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM ball_membership
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port
  AND generation = @Generation AND status = 6
  AND start_time = @StartTime AND i_am_alive_time = @IAmAliveTime
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
