using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Visitors;

namespace BallOrleans.Tests.Privacy;

/// <summary>Forgetting a visitor through their grain, in both storage modes, and retention's erasure of the long gone.</summary>
public abstract class ForgetTests(PostgresServer postgres, string storage)
{
    public sealed class Grouped(PostgresServer postgres) : ForgetTests(postgres, VisitorStorageOptions.Grouped), IClassFixture<PostgresServer>;

    public sealed class AdoNet(PostgresServer postgres) : ForgetTests(postgres, VisitorStorageOptions.AdoNet), IClassFixture<PostgresServer>;

    [Fact]
    public async Task Forgotten_visitors_leave_no_row_and_the_stats_equal_the_remaining_visitors()
    {
        var database = await postgres.CreateDatabaseAsync("forget");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var ids = await StoredVisitors.LoadAsync(cluster.Client, visitors: 60, seed: 21);
        var forgotten = ids.Take(20).ToList();

        var erased = await Task.WhenAll(forgotten.Select(id => cluster.Client.GetGrain<IVisitorGrain>(id).ForgetAsync(ErasureReason.Forget)));

        Assert.All(erased, e => Assert.Equal(ErasureOutcome.Erased, e));
        await StatsBooks.AssertBalancedAsync(database);
        var remaining = await StoredVisitors.SumAsync(database);
        Assert.Equal(40, remaining.RedVisitors + remaining.BlueVisitors);
        foreach (var id in forgotten)
        {
            await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), id);
        }

        // The report follows within its refresh; the grains know nothing of them any more.
        var (snapshot, expected, _) = await StoredVisitors.WaitForReportAsync(cluster, database, TimeSpan.FromSeconds(10));
        Assert.True(expected.Matches(snapshot));
        var grain = cluster.Client.GetGrain<IVisitorGrain>(forgotten[0]);
        Assert.Null(await cluster.StoredStateAsync(forgotten[0]));
        Assert.Null(await grain.PeekAsync());
        Assert.IsType<VisitOutcome.UnknownVisitor>(await grain.VisitAsync(Guid.NewGuid()));
        Assert.Equal(ErasureOutcome.NothingToErase, await grain.ForgetAsync(ErasureReason.Forget));
        await StatsBooks.AssertBalancedAsync(database);
    }

    [Fact]
    public async Task Retention_erases_in_batches_the_visitors_not_seen_for_its_days_and_keeps_the_rest()
    {
        var database = await postgres.CreateDatabaseAsync("retention");
        var settings = new Dictionary<string, string?> { ["Retention:Days"] = "30", ["Retention:BatchSize"] = "3" };
        await using var cluster = await TestClusters.StartAsync(database, settings: settings, storage: storage);
        var live = await StoredVisitors.LoadAsync(cluster.Client, visitors: 5, seed: 22);
        var now = DateTimeOffset.UtcNow;
        var gone = Enumerable.Range(0, 7).Select(_ => VisitorId.NewId()).ToList();
        foreach (var (id, i) in gone.Select((id, i) => (id, i)))
        {
            var first = now.AddDays(-60 + i);
            await StatsBooks.WriteAsync(database, id, StatsBooks.State(BallColor.Red, 1, first, first));
            await StatsBooks.WriteAsync(database, id, StatsBooks.State(BallColor.Red, 2 + i, first, first.AddDays(10)));
        }

        // First seen 50 days ago, last seen a week ago: kept (retention judges by the last visit).
        var recent = VisitorId.NewId();
        await StatsBooks.WriteAsync(database, recent, StatsBooks.State(BallColor.Blue, 3, now.AddDays(-50), now.AddDays(-7)));

        var erased = await cluster.Client.GetGrain<IRetentionGrain>(0).EraseExpiredAsync();

        Assert.Equal(7, erased);
        await StatsBooks.AssertBalancedAsync(database);
        foreach (var id in gone)
        {
            await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), id);
        }

        var remaining = await StoredVisitors.SumAsync(database);
        Assert.Equal(6, remaining.RedVisitors + remaining.BlueVisitors);
        Assert.All(await Task.WhenAll(live.Select(id => cluster.Client.GetGrain<IVisitorGrain>(id).PeekAsync())), Assert.NotNull);
        Assert.Equal(0, await cluster.Client.GetGrain<IRetentionGrain>(0).EraseExpiredAsync());
    }
}
