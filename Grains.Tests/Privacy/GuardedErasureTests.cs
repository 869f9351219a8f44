using System.Text.Json;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Storage;
using BallOrleans.Tests.Visitors;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BallOrleans.Tests.Privacy;

/// <summary>
/// Erasures that meet a concurrent write of the same visitor (a duplicate activation during a
/// failover, a late write): the erasure waits for the write's row lock, and then acts on the row
/// as the write left it. It never keeps a row because it changed, and what it takes out of the
/// stats is what the row held when it was deleted.
/// </summary>
public sealed class GuardedErasureTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_forget_that_waits_for_a_concurrent_write_erases_the_row_that_write_left()
    {
        var database = await postgres.CreateDatabaseAsync("erasewait");
        await using var cluster = await TestClusters.StartAsync(database);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(id);
        var seen = await visitor.CountAsync();

        var now = DateTimeOffset.UtcNow;
        await using var late = await HeldWrite.StartAsync(database, id, StatsBooks.State(seen.Color, seen.Views + 5, seen.FirstSeen, now));
        var forget = visitor.ForgetAsync(ErasureReason.Forget);
        await late.WaitUntilSomeoneWaitsAsync();
        await late.CommitAsync();

        Assert.Equal(ErasureOutcome.Erased, await forget);
        Assert.Null(await VisitorGrainTests.StoredViewsAsync(database, id));
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), id);
        await StatsBooks.AssertBalancedAsync(database);
    }

    [Fact]
    public async Task Retention_judges_each_visitor_by_the_row_a_concurrent_write_left()
    {
        var database = await postgres.CreateDatabaseAsync("retentionwait");
        await using var cluster = await TestClusters.StartAsync(database);
        var eraser = cluster.Silos[0].ServiceProvider.GetRequiredService<VisitorEraser>();
        var now = DateTimeOffset.UtcNow;
        var first = now.AddDays(-90);
        var (returned, repaired) = (VisitorId.NewId(), VisitorId.NewId());
        // Different colors: the two held writes then share no aggregate row, and neither waits for the other.
        await StatsBooks.WriteAsync(database, returned, StatsBooks.State(BallColor.Red, 2, first, now.AddDays(-60)));
        await StatsBooks.WriteAsync(database, repaired, StatsBooks.State(BallColor.Blue, 3, first, now.AddDays(-60)));

        // One comes back today; the other's row is rewritten with more views but the same old last visit.
        await using var visit = await HeldWrite.StartAsync(database, returned, StatsBooks.State(BallColor.Red, 3, first, now));
        await using var repair = await HeldWrite.StartAsync(database, repaired, StatsBooks.State(BallColor.Blue, 7, first, now.AddDays(-60)));
        var erasing = eraser.EraseAsync([returned, repaired], now.AddDays(-30), ErasureReason.Retention);
        await visit.WaitUntilSomeoneWaitsAsync();
        await visit.CommitAsync();
        await repair.CommitAsync();

        Assert.Equal(1, await erasing);
        Assert.Equal(3, await VisitorGrainTests.StoredViewsAsync(database, returned));
        Assert.Null(await VisitorGrainTests.StoredViewsAsync(database, repaired));
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), repaired);
        await StatsBooks.AssertBalancedAsync(database);
        // The erasure ledger booked the views the deleted row held, not those it held when the erasure began.
        Assert.Equal(7, await StoredVisitors.ScalarAsync(database, "SELECT coalesce(sum(views), 0) FROM ball_stats_erased WHERE reason = 'retention'"));
    }

    [Fact]
    public async Task An_erasure_chosen_as_a_deadlock_victim_is_sent_again_and_erases()
    {
        var database = await postgres.CreateDatabaseAsync("erasedeadlock");
        await using var cluster = await TestClusters.StartAsync(database);
        var id = VisitorId.NewId();
        await cluster.Client.FirstVisitAsync(id);
        // The first delete of the row fails as a deadlock victim's would (40P01); a sequence
        // outside the transactions counts the attempts. Made by the owner (the runtime role makes
        // nothing); the trigger runs as the role that deletes, so that role may use the sequence.
        await StoredVisitors.QueryAsync(postgres.AsOwner(database), $$"""
            CREATE SEQUENCE test_victim;
            CREATE FUNCTION test_victim() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF OLD.grain_key = '{{id}}' AND nextval('test_victim') = 1 THEN
                    RAISE EXCEPTION 'chosen as the deadlock victim' USING ERRCODE = '40P01';
                END IF;
                RETURN OLD;
            END $f$;
            CREATE TRIGGER test_victim BEFORE DELETE ON ball_grain_state FOR EACH ROW EXECUTE FUNCTION test_victim();
            GRANT USAGE, SELECT ON SEQUENCE test_victim TO ball_runtime;
            """);

        var outcome = await cluster.Client.GetGrain<IVisitorGrain>(id).ForgetAsync(ErasureReason.Forget);

        Assert.Equal(ErasureOutcome.Erased, outcome);
        Assert.Equal(2, await StoredVisitors.ScalarAsync(database, "SELECT last_value FROM test_victim"));
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), id);
        await StatsBooks.AssertBalancedAsync(database);
    }

    [Fact]
    public async Task An_erasure_that_got_no_answer_is_unconfirmed_and_erasing_again_settles_it()
    {
        // A second's command timeout, so that the locked row outlasts it.
        var database = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("eraselost")) { CommandTimeout = 1 }.ConnectionString;
        await using var cluster = await TestClusters.StartAsync(database);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(id);

        ErasureOutcome stalled;
        await using (await RowLock.HoldAsync(database, id))
        {
            stalled = await visitor.ForgetAsync(ErasureReason.Forget);
        }

        var again = await visitor.ForgetAsync(ErasureReason.Forget);

        Assert.Equal(ErasureOutcome.Unknown, stalled);
        Assert.Equal(ErasureOutcome.Erased, again);  // the stalled one was cancelled, so this one erased
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), id);
        await StatsBooks.AssertBalancedAsync(database);
    }

    /// <summary>
    /// A write of one visitor's row through the provider's function (so it keeps the stats), in a
    /// transaction of its own that stays open, holding the row's lock, until <see cref="CommitAsync"/>.
    /// </summary>
    private sealed class HeldWrite : IAsyncDisposable
    {
        private readonly string _database;
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;

        private HeldWrite(string database, NpgsqlConnection connection, NpgsqlTransaction transaction) =>
            (_database, _connection, _transaction) = (database, connection, transaction);

        public static async Task<HeldWrite> StartAsync(string database, string visitorId, VisitorState state)
        {
            var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            var transaction = await connection.BeginTransactionAsync();
            await StatsBooks.WriteAsync(connection, transaction, visitorId, state);
            return new HeldWrite(database, connection, transaction);
        }

        /// <summary>Waits until another session of this database waits for a lock (up to 10 s).</summary>
        public async Task WaitUntilSomeoneWaitsAsync()
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (await StoredVisitors.ScalarAsync(_database,
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "nobody came to wait for the held row");
                await Task.Delay(20);
            }
        }

        public Task CommitAsync() => _transaction.CommitAsync();

        public async ValueTask DisposeAsync()
        {
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
