-- What the runtime role may do (issue 26, item 4). Silos and web tiers log in as ball_runtime:
-- visits, stats, erasures, retention, cookie keys, minute pruning, and Orleans' ADO.NET
-- clustering and storage, and nothing else. The migration role (the schema's owner) applies this
-- script at the end of every `migrate` that changed anything, in the same transaction. The
-- effective outcome is listed in docs/operations.md (Database roles), and a test holds the
-- role's privileges, as PostgreSQL reports them, against that list.
--
-- A new table or function is closed to the runtime until it gets its line below (and its row in
-- the list): everything is revoked first, so a line removed here is a privilege gone.

-- PUBLIC (every role of the server) loses what PostgreSQL grants it by default: connecting,
-- temporary tables (nothing here needs them; they are objects a leaked login could make), and
-- executing every function. PostgreSQL 15 already gives PUBLIC no CREATE on schema public; a
-- database created by an older server did, so it is revoked all the same.
DO $grants$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM ball_runtime', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO ball_runtime', current_database());
END
$grants$;
REVOKE ALL ON SCHEMA public FROM PUBLIC, ball_runtime;
GRANT USAGE ON SCHEMA public TO ball_runtime;
-- Ours only: what this role owns in the schema. An extension installed there by the server's
-- administrator (the HA nodes' pg_stat_statements, say) is theirs to grant, and revoking on a
-- function this role has no privilege on at all is an error, not a no-op.
DO $revoke$
DECLARE
    item record;
BEGIN
    FOR item IN
        SELECT c.oid::regclass AS name, c.relkind = 'S' AS is_sequence
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relowner = current_user::regrole
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC, ball_runtime', CASE WHEN item.is_sequence THEN 'SEQUENCE' ELSE 'TABLE' END, item.name);
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure AS signature
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = current_user::regrole
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, ball_runtime', item.signature);
    END LOOP;
END
$revoke$;
-- Functions this role creates later are not PUBLIC's either (they are all revoked above anyway
-- at the end of the same migrate; this covers a function made by hand in between).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Tables and views: one line each.
GRANT SELECT ON ball_schema_version TO ball_runtime;                            -- the start's schema check
GRANT SELECT ON ball_schema_release TO ball_runtime;                            -- the start's schema check
GRANT SELECT ON orleansquery TO ball_runtime;                                   -- Orleans' named queries
GRANT SELECT, INSERT, UPDATE, DELETE ON ball_membership TO ball_runtime;        -- Orleans membership
GRANT SELECT, INSERT, UPDATE, DELETE ON ball_membership_version TO ball_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ball_grain_state TO ball_runtime;       -- visitor rows: visits, erasures, retention
GRANT SELECT ON ball_visitor_stats TO ball_runtime;                             -- the listing (a view of the rows)
GRANT SELECT, INSERT, UPDATE ON ball_report_totals TO ball_runtime;             -- stats aggregates
GRANT SELECT, INSERT, UPDATE ON ball_stats_daily TO ball_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ball_visits_per_minute TO ball_runtime; -- DELETE: minute pruning
GRANT SELECT, INSERT, UPDATE ON ball_stats_erased TO ball_runtime;              -- erasure ledger
GRANT SELECT, INSERT, UPDATE ON ball_stats_assigned TO ball_runtime;            -- assigned counters
GRANT SELECT ON ball_stats_key TO ball_runtime;                                 -- pseudonym key
GRANT SELECT ON ball_cookie_keys TO ball_runtime;                               -- cookie keys (rotation is the owner's)
GRANT SELECT ON ball_cookie_signing TO ball_runtime;
GRANT SELECT, INSERT ON ball_legacy_cookies_used TO ball_runtime;              -- legacy cookies honoured once
GRANT SELECT, INSERT, DELETE ON ball_stats_journal TO ball_runtime;             -- stats journal: visits append, the fold deletes
GRANT SELECT, INSERT ON ball_split_check_latched TO ball_runtime;               -- first crossings, written once

-- Functions: one line each (security invoker: they act with the table privileges above).
GRANT EXECUTE ON FUNCTION ball_visitors_read TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_visitors_write TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_visitors_clear TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_visitors_erase TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_grain_state_write TO ball_runtime;              -- the ADO.NET provider's write
GRANT EXECUTE ON FUNCTION ball_grain_state_clear TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_stats_apply TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_stats_assign TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_stats_erased TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_stats_prune_minutes TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_stats_fold TO ball_runtime;                      -- the journal's fold (once a second, any silo)
GRANT EXECUTE ON FUNCTION ball_stats_fold_journal TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_stats_fold_lock TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_stats_shard TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_day TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_ledger_after TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_next_version TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_views_by_day TO ball_runtime;
GRANT EXECUTE ON FUNCTION ball_visitor_pid TO ball_runtime;
