using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Visitors;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// A write whose statement went out and got no answer in time: the row it updates is locked by
/// another transaction beyond the command timeout, so Npgsql gives up waiting (as when the server
/// or the network stalls mid-commit). Whether it committed is the server's to know: both storage
/// modes must answer "unknown", never "not counted" (the visitor would reload and count twice).
/// </summary>
public abstract class LostCommitAnswerTests(PostgresServer postgres, string storage)
{
    public sealed class Grouped(PostgresServer postgres) : LostCommitAnswerTests(postgres, VisitorStorageOptions.Grouped), IClassFixture<PostgresServer>;

    public sealed class AdoNet(PostgresServer postgres) : LostCommitAnswerTests(postgres, VisitorStorageOptions.AdoNet), IClassFixture<PostgresServer>;

    [Fact]
    public async Task A_visit_whose_commit_got_no_answer_is_unconfirmed_and_the_next_visit_counts_on_what_is_stored()
    {
        // A second's command timeout, so that the locked row outlasts it.
        var database = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("lostanswer")) { CommandTimeout = 1 }.ConnectionString;
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(id);
        await visitor.CountAsync();

        VisitOutcome stalled;
        await using (await RowLock.HoldAsync(database, id))
        {
            stalled = await visitor.VisitAsync(VisitRequestId.New());
        }

        Assert.IsType<VisitOutcome.Unknown>(stalled);
        // The grain read its row back before counting again: this one is counted once, on what is stored.
        Assert.Equal(3, (await visitor.CountAsync()).Views);
        Assert.Equal(3, await VisitorGrainTests.StoredViewsAsync(database, id));
        await StatsBooks.AssertBalancedAsync(database);
    }
}
