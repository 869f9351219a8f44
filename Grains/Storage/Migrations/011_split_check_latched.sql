-- The split alert's checks, latched (issue 27, item 2): the first time a check of the family
-- (population 'assigned', browser 'all' or a browser family) is seen flagged, its moment and the
-- counts it was flagged on are kept here, and the check stays flagged from then on, however the
-- statistic moves afterwards. A Bayes factor that crossed 1/alpha once has already spent the
-- check's alpha: falling back under proves nothing. Written once per check, by whichever web
-- process sees the crossing first (INSERT ... ON CONFLICT DO NOTHING), never updated; a deliberate
-- restart of the experiment (new weights or seed) deletes the service's rows by hand until epochs
-- (issue 27, item 2, first half) key them.
CREATE TABLE IF NOT EXISTS ball_split_check_latched (
    service_id       text             NOT NULL,
    population       text             NOT NULL,
    browser          text             NOT NULL,
    flagged_at       timestamptz      NOT NULL,
    red_visitors     bigint           NOT NULL,
    blue_visitors    bigint           NOT NULL,
    log_bayes_factor double precision NOT NULL,
    alpha            double precision NOT NULL,
    PRIMARY KEY (service_id, population, browser)
);
