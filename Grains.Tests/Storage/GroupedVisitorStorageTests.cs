using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Visitors;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Storage;
using Orleans.TestingHost;
using static BallOrleans.Tests.Storage.StoredRows;

namespace BallOrleans.Tests.Storage;

/// <summary>Group commit: writes share statements and commits, and each still succeeds or fails on its own merits.</summary>
[Collection(RunsAlone.Name)]
public sealed class GroupedVisitorStorageTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Sixty_four_grains_writing_at_once_share_a_few_batches_and_every_state_is_stored_exactly()
    {
        var (cluster, storage, _) = await StartAsync("batch64");
        await using var _ = cluster;
        using var batches = new StorageBatches();
        var writes = Enumerable.Range(1, 64).Select(views => (Id: NewGrainId(), State: NewState(views))).ToList();

        await Task.WhenAll(writes.Select(w => storage.WriteStateAsync(StorageNames.VisitorState, w.Id, w.State)));

        Assert.Equal(64, batches.Writes.Sum());
        Assert.InRange(batches.Writes.Count, 1, 16);
        foreach (var (id, state) in writes)
        {
            var read = await ReadAsync(storage, id);
            Assert.Equal(state.State!.RedViews, read.State!.RedViews);
            Assert.Equal("1", read.ETag);
        }
    }

    [Fact]
    public async Task The_figures_beside_the_payload_are_the_payloads_and_the_pseudonym_is_the_one_SQL_computes()
    {
        var (cluster, storage, database) = await StartAsync("batchfigures");
        await using var _ = cluster;
        var writes = Enumerable.Range(1, 20).Select(views => (Id: NewGrainId(), State: NewState(views))).ToList();
        await Task.WhenAll(writes.Select(w => storage.WriteStateAsync(StorageNames.VisitorState, w.Id, w.State)));

        // Computed in .NET on the visit path, in SQL for the ADO.NET provider: both must agree.
        Assert.Equal(0, await StoredVisitors.ScalarAsync(database, """
            SELECT count(*) FROM ball_grain_state g CROSS JOIN ball_stats_key k
            CROSS JOIN LATERAL (SELECT convert_from(g.payload, 'UTF8')::jsonb AS j) p
            WHERE g.state_name = 'visitor'
              AND (g.pid IS DISTINCT FROM ball_visitor_pid(k.inner_pad, k.outer_pad, g.grain_key)
                   OR g.color IS DISTINCT FROM p.j->>'c' OR g.red_views IS DISTINCT FROM (p.j->>'r')::bigint
                   OR g.blue_views IS DISTINCT FROM (p.j->>'b')::bigint
                   OR date_trunc('milliseconds', g.last_seen) IS DISTINCT FROM date_trunc('milliseconds', (p.j->>'l')::timestamptz))
            """));
        Assert.Equal(20, await StoredVisitors.ScalarAsync(database, "SELECT count(*) FROM ball_visitor_stats"));
    }

    [Fact]
    public async Task A_stale_etag_in_the_middle_of_a_batch_fails_that_write_only()
    {
        var (cluster, storage, database) = await StartAsync("batchstale", lanes: 1);
        await using var _ = cluster;
        var states = Enumerable.Range(1, 9).Select(views => (Id: NewGrainId(), State: NewState(views))).ToList();
        foreach (var (id, state) in states)
        {
            await storage.WriteStateAsync(StorageNames.VisitorState, id, state);
        }

        using var batches = new StorageBatches();
        foreach (var (_, state) in states)
        {
            state.State!.RedViews += 100;
        }

        var stale = states[4];
        stale.State.ETag = "7";
        var outcomes = await InOneBatchAsync(storage, database, states.Select(s => (s.Id, s.State)).ToList());

        Assert.Contains(9, batches.Writes);
        Assert.IsType<InconsistentStateException>(outcomes[4]);
        Assert.All(outcomes.Where((_, i) => i != 4), Assert.Null);
        Assert.Equal(5, (await ReadAsync(storage, stale.Id)).State!.RedViews);
        foreach (var (id, state) in states.Where((_, i) => i != 4))
        {
            Assert.Equal("2", state.ETag);
            Assert.Equal(state.State!.RedViews, (await ReadAsync(storage, id)).State!.RedViews);
        }
    }

    /// <remarks>
    /// Two attempts of one new visitor's first visit, queued behind a slow commit, meet in one
    /// batch. The second is stale, and its caller reads the row back to answer from it: it must
    /// hear "stale" only once the first's commit has returned, or it finds no row and takes the
    /// visitor for unknown.
    /// </remarks>
    [Fact]
    public async Task A_second_write_of_one_row_in_a_batch_is_stale_only_once_the_first_has_committed()
    {
        var (cluster, storage, database) = await StartAsync("batchtwice", lanes: 1);
        await using var _ = cluster;
        var id = NewGrainId();
        Task first, second;
        bool early;
        await using (var blocker = await BlockTheLaneAsync(storage, database))
        {
            first = storage.WriteStateAsync(StorageNames.VisitorState, id, NewState(1));
            second = storage.WriteStateAsync(StorageNames.VisitorState, id, NewState(1));
            // An uncommitted insert of the same row: the batch's insert waits on it, mid-statement.
            await using var rival = new NpgsqlConnection(database);
            await rival.OpenAsync();
            await using var transaction = await rival.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand(
                "INSERT INTO ball_grain_state (service_id, state_name, grain_key, key_n0, key_n1, payload, version) VALUES ($1, $2, $3, 0, 0, NULL, 1)",
                rival, transaction))
            {
                insert.Parameters.Add(new() { Value = TestClusters.ServiceId });
                insert.Parameters.Add(new() { Value = StorageNames.VisitorState });
                insert.Parameters.Add(new() { Value = id.Key.ToString()! });
                await insert.ExecuteNonQueryAsync();
            }

            await blocker.ReleaseAsync();
            early = await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(2))) == second;
            await transaction.RollbackAsync();
        }

        Assert.False(early, "the second write was told it was stale while the first's statement was still running");
        await Assert.ThrowsAsync<InconsistentStateException>(() => second);
        await first;
        Assert.True((await ReadAsync(storage, id)).RecordExists);
    }

    [Fact]
    public async Task A_failed_commit_fails_every_write_of_its_batch_and_stores_none()
    {
        var (cluster, storage, database) = await StartAsync("batchpoison", lanes: 1);
        await using var _ = cluster;
        var writes = Enumerable.Range(1, 6).Select(views => (Id: NewGrainId(), State: NewState(views))).ToList();
        await PoisonCommitsOfAsync(postgres.AsOwner(database), writes[3].Id.Key.ToString()!);

        var outcomes = await InOneBatchAsync(storage, database, writes);

        Assert.All(outcomes, e => Assert.IsType<PostgresException>(e));
        foreach (var (id, state) in writes)
        {
            Assert.False((await ReadAsync(storage, id)).RecordExists);
            Assert.Null(state.ETag);
        }
    }

    [Fact]
    public async Task A_visit_whose_commit_fails_is_not_counted_and_memory_goes_back_to_what_storage_holds()
    {
        var database = await postgres.CreateDatabaseAsync("grainpoison");
        await using var cluster = await TestClusters.StartAsync(database);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), Guid.NewGuid());
        await visitor.VisitAsync(Guid.NewGuid());

        await PoisonCommitsOfAsync(postgres.AsOwner(database), id);
        Assert.IsType<VisitOutcome.NotCounted>(await visitor.VisitAsync(Guid.NewGuid()));
        await StoredVisitors.QueryAsync(postgres.AsOwner(database), "DROP TRIGGER test_poison ON ball_grain_state");

        Assert.Equal(3, (await visitor.CountAsync(Guid.NewGuid())).Views);
        Assert.Equal(3, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task A_batch_rolled_back_for_a_deadlock_is_sent_again_once()
    {
        var database = await postgres.CreateDatabaseAsync("batchdeadlock");
        await using var cluster = await TestClusters.StartAsync(database);
        var (once, always) = (VisitorId.NewId(), VisitorId.NewId());
        await FailCommitsOfAsync(postgres.AsOwner(database), once, times: 1);
        await FailCommitsOfAsync(postgres.AsOwner(database), always, times: 1000);

        // Rolled back the first time (nothing of it stored), so sending it again is safe: it counts.
        Assert.Equal(1, (await cluster.Client.FirstVisitAsync(once, Guid.NewGuid())).Views);
        Assert.Equal(1, await VisitorGrainTests.StoredViewsAsync(database, once));
        // Only once: a batch that fails again is not stored, and says so.
        Assert.IsType<VisitOutcome.NotCounted>(await cluster.Client.GetGrain<IFirstVisitGrain>(0).VisitAsync(always, null, VisitAttempt.Once()));
        Assert.Equal(2, await StoredVisitors.ScalarAsync(database, $"SELECT last_value FROM \"test_fail_{always}\""));
    }

    [Fact]
    public async Task A_full_queue_refuses_a_write_at_once()
    {
        var (cluster, storage, database) = await StartAsync("batchfull", lanes: 1, queueLimit: 2);
        await using var _ = cluster;
        await using var blocker = await BlockTheLaneAsync(storage, database);
        var queued = Enumerable.Range(0, 2).Select(_ => storage.WriteStateAsync(StorageNames.VisitorState, NewGrainId(), NewState(1))).ToList();

        var refused = storage.WriteStateAsync(StorageNames.VisitorState, NewGrainId(), NewState(1));

        Assert.True(refused.IsFaulted, "a write beyond the queue limit must fail at once, not wait");
        await Assert.ThrowsAsync<StorageBusyException>(() => refused);
        await blocker.ReleaseAsync();
        await Task.WhenAll(queued);
    }

    [Fact]
    public async Task Stopping_waits_for_queued_and_in_flight_writes_and_refuses_new_ones()
    {
        var (cluster, storage, database) = await StartAsync("batchstop", lanes: 1);
        await using var _ = cluster;
        var blocker = await BlockTheLaneAsync(storage, database);
        var writes = Enumerable.Range(1, 20).Select(views => (Id: NewGrainId(), State: NewState(views))).ToList();
        var pending = writes.Select(w => storage.WriteStateAsync(StorageNames.VisitorState, w.Id, w.State)).ToList();

        var stopping = ((GroupedVisitorStorage)storage).StopAsync();
        var refused = storage.WriteStateAsync(StorageNames.VisitorState, NewGrainId(), NewState(1));
        await Task.Delay(200);

        Assert.False(stopping.IsCompleted, "the stop must wait for the writes it has accepted");
        var busy = await Assert.ThrowsAsync<StorageBusyException>(() => refused);
        Assert.Contains("shutting down", busy.Message); // not "too many waiting", though 20 still are
        await blocker.DisposeAsync();
        await stopping;
        await Task.WhenAll(pending);
        var keys = writes.Select(w => w.Id.Key.ToString()!).ToArray();
        Assert.Equal(20, await StoredVisitors.ScalarAsync(database,
            $"SELECT count(*) FROM ball_grain_state WHERE grain_key IN ({string.Join(',', keys.Select(k => $"'{k}'"))})"));
    }

    private async Task<(InProcessTestCluster Cluster, IGrainStorage Storage, string Database)> StartAsync(
        string purpose, int lanes = 4, int queueLimit = 10_000)
    {
        var database = await postgres.CreateDatabaseAsync(purpose);
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Lanes"] = lanes.ToString(),
            ["Storage:QueueLimit"] = queueLimit.ToString(),
        };
        var cluster = await TestClusters.StartAsync(database, settings: settings);
        return (cluster, StorageOf(cluster), database);
    }

    private static IGrainStorage StorageOf(InProcessTestCluster cluster) =>
        cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Visitors);

    /// <summary>
    /// Runs <paramref name="writes"/> as one batch: the single lane is held on a locked row while
    /// they queue, then let go. Returns each write's exception, or null where it succeeded.
    /// </summary>
    private static async Task<Exception?[]> InOneBatchAsync(IGrainStorage storage, string database, List<(GrainId Id, GrainState<VisitorState> State)> writes)
    {
        await using var blocker = await BlockTheLaneAsync(storage, database);
        var tasks = writes.Select(w => storage.WriteStateAsync(StorageNames.VisitorState, w.Id, w.State)).ToList();
        await blocker.ReleaseAsync();
        var outcomes = new Exception?[tasks.Count];
        for (var i = 0; i < tasks.Count; i++)
        {
            try
            {
                await tasks[i];
            }
            catch (Exception ex)
            {
                outcomes[i] = ex;
            }
        }

        return outcomes;
    }

    /// <summary>Writes a row, locks it in a transaction of its own, and writes it again: the lane waits on the lock until released.</summary>
    private static async Task<LaneBlocker> BlockTheLaneAsync(IGrainStorage storage, string database)
    {
        var id = NewGrainId();
        var state = NewState(1);
        await storage.WriteStateAsync(StorageNames.VisitorState, id, state);
        var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM ball_grain_state WHERE grain_key = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new() { Value = id.Key.ToString()! });
            await lockRow.ExecuteNonQueryAsync();
        }

        var blocked = storage.WriteStateAsync(StorageNames.VisitorState, id, state);
        await WaitUntilAsync(() => QueuedWrites(database), waiting => waiting >= 1, TimeSpan.FromSeconds(10));
        return new LaneBlocker(connection, transaction, blocked);
    }

    private static async Task<long> QueuedWrites(string database) =>
        await StoredVisitors.ScalarAsync(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");

    private static async Task WaitUntilAsync(Func<Task<long>> probe, Func<long, bool> done, TimeSpan deadline)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!done(await probe()) && clock.Elapsed < deadline)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// A deferred trigger that fails the commit of any transaction writing <paramref name="key"/>.
    /// Made by the schema's owner (<paramref name="database"/> is the owner's connection): the runtime role may not.
    /// </summary>
    private static async Task PoisonCommitsOfAsync(string database, string key)
    {
        await StoredVisitors.QueryAsync(database, $$"""
            CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF NEW.grain_key = '{{key}}' THEN RAISE EXCEPTION 'poisoned commit'; END IF;
                RETURN NULL;
            END $f$;
            CREATE CONSTRAINT TRIGGER test_poison AFTER INSERT OR UPDATE ON ball_grain_state
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_poison();
            """);
    }

    /// <summary>
    /// Fails the first <paramref name="times"/> statements writing <paramref name="key"/> as a
    /// deadlock victim would be failed (40P01); a sequence counts them, outside the transactions.
    /// Made by the schema's owner (<paramref name="database"/> is the owner's connection); the
    /// trigger runs as the role that writes, so the runtime role may use the sequence.
    /// </summary>
    private static async Task FailCommitsOfAsync(string database, string key, int times)
    {
        await StoredVisitors.QueryAsync(database, $$"""
            CREATE SEQUENCE "test_fail_{{key}}";
            CREATE FUNCTION "test_fail_{{key}}"() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF NEW.grain_key = '{{key}}' AND nextval('"test_fail_{{key}}"') <= {{times}} THEN
                    RAISE EXCEPTION 'chosen as the deadlock victim' USING ERRCODE = '40P01';
                END IF;
                RETURN NULL;
            END $f$;
            CREATE TRIGGER "test_fail_{{key}}" AFTER INSERT OR UPDATE ON ball_grain_state
                FOR EACH ROW EXECUTE FUNCTION "test_fail_{{key}}"();
            GRANT USAGE, SELECT ON SEQUENCE "test_fail_{{key}}" TO {{SchemaMigrator.RuntimeRole}};
            """);
    }

    private static async Task<GrainState<VisitorState>> ReadAsync(IGrainStorage storage, GrainId id)
    {
        var read = new GrainState<VisitorState>();
        await storage.ReadStateAsync(StorageNames.VisitorState, id, read);
        return read;
    }


    private sealed class LaneBlocker(NpgsqlConnection connection, NpgsqlTransaction transaction, Task blocked) : IAsyncDisposable
    {
        private bool _released;

        public async Task ReleaseAsync()
        {
            if (!_released)
            {
                _released = true;
                await transaction.RollbackAsync();
                await blocked;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
