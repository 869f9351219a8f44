-- Cluster membership for Microsoft.Orleans.Clustering.AdoNet.
-- Timestamps are timestamptz: the provider passes UTC DateTimes and reads them back as UTC.
CREATE TABLE IF NOT EXISTS ball_membership_version (
    deployment_id text        NOT NULL PRIMARY KEY,
    changed_on    timestamptz NOT NULL DEFAULT now(),
    version       integer     NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ball_membership (
    deployment_id   text        NOT NULL REFERENCES ball_membership_version (deployment_id),
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,
    proxy_port      integer,
    suspect_times   text,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);
