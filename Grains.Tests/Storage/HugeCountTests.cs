using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Visitors;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// A visitor past 2^31 views (and 2^31 writes) is counted like any other, and the visitors whose
/// writes share a batch with theirs are stored: no 32-bit figure in the write path.
/// </summary>
public abstract class HugeCountTests(PostgresServer postgres, string storage)
{
    public sealed class Grouped(PostgresServer postgres) : HugeCountTests(postgres, VisitorStorageOptions.Grouped), IClassFixture<PostgresServer>;

    public sealed class AdoNet(PostgresServer postgres) : HugeCountTests(postgres, VisitorStorageOptions.AdoNet), IClassFixture<PostgresServer>;

    private const long Huge = 3_000_000_000;

    [Fact]
    public async Task A_visitor_past_two_to_the_31_views_is_counted_and_so_are_its_batch_mates()
    {
        var database = await postgres.CreateDatabaseAsync("hugecount");
        // One lane: every write waiting at once shares the batch of the huge visitor's.
        await using var cluster = await TestClusters.StartAsync(
            database, settings: new Dictionary<string, string?> { ["Storage:Lanes"] = "1" }, storage: storage);
        var huge = VisitorId.NewId();
        var yesterday = DateTimeOffset.UtcNow.AddDays(-1);
        // Seen yesterday, so today's visit closes a day of the ledger with all those views; its
        // row version is the largest 32-bit one, as after 2^31 writes.
        await StatsBooks.WriteAsync(database, huge, StatsBooks.State(BallColor.Red, Huge, yesterday.AddDays(-1), yesterday));
        await VisitorGrainTests.ExecuteAsync(database, "UPDATE ball_grain_state SET version = 2147483647 WHERE grain_key = @id", ("id", huge));
        var mates = Enumerable.Range(0, 30).Select(_ => VisitorId.NewId()).ToList();
        foreach (var mate in mates)
        {
            await StatsBooks.WriteAsync(database, mate, StatsBooks.State(BallColor.Blue, 1, yesterday, yesterday));
        }

        var visits = mates.Prepend(huge)
            .Select(id => cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(VisitRequestId.New()))
            .ToList();
        var results = await Task.WhenAll(visits);

        Assert.All(results, r => Assert.IsType<VisitOutcome.Counted>(r));
        Assert.Equal(Huge + 1, results[0].CountedView().Views);
        Assert.Equal(Huge + 1, await VisitorGrainTests.StoredViewsAsync(database, huge));
        foreach (var mate in mates)
        {
            Assert.Equal(2, await VisitorGrainTests.StoredViewsAsync(database, mate));
        }

        // And the next visit finds the version it wrote.
        Assert.Equal(Huge + 2, (await cluster.Client.GetGrain<IVisitorGrain>(huge).CountAsync(VisitRequestId.New())).Views);
        await StatsBooks.AssertBalancedAsync(database);

        // Erased whole, the ledger's day included.
        await StatsBooks.DeleteAsync(database, huge);
        await StatsBooks.AssertBalancedAsync(database);
    }
}
