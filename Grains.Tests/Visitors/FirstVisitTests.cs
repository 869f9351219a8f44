using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Visitors;

/// <summary>The first visit of a just-minted id is stored by <see cref="FirstVisitGrain"/> without reading, and still never loses a count.</summary>
public sealed class FirstVisitTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_minted_visitor_is_stored_on_its_first_visit()
    {
        var database = await postgres.CreateDatabaseAsync("minted");
        await using var cluster = await TestClusters.StartAsync(database);
        var id = VisitorId.NewId();

        var first = await cluster.Client.FirstVisitAsync(id, Guid.NewGuid());
        var second = await cluster.Client.GetGrain<IVisitorGrain>(id).CountAsync(Guid.NewGuid());

        Assert.Equal([1L, 2L], [first.Views, second.Views]);
        Assert.Equal(2, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task A_minted_id_that_already_has_a_row_is_counted_on_top_of_it()
    {
        var database = await postgres.CreateDatabaseAsync("mintedcollision");
        var id = VisitorId.NewId();
        VisitorView before;
        await using (var cluster = await TestClusters.StartAsync(database))
        {
            await cluster.Client.FirstVisitAsync(id, Guid.NewGuid());
            before = await cluster.Client.GetGrain<IVisitorGrain>(id).CountAsync(Guid.NewGuid());
            await cluster.StopAllSilosAsync();
        }

        // The first-visit grain does not read the row: its insert must find it, and the visitor's
        // grain must count on top of it.
        await using var restarted = await TestClusters.StartAsync(database);
        var after = await restarted.Client.FirstVisitAsync(id, Guid.NewGuid());

        Assert.Equal(before.Color, after.Color);
        Assert.Equal(before.FirstSeen, after.FirstSeen);
        Assert.Equal(3, after.Views);
        Assert.Equal(3, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task A_first_visit_is_stored_without_activating_the_visitor_and_its_retry_counts_once()
    {
        var database = await postgres.CreateDatabaseAsync("firstvisit");
        await using var cluster = await TestClusters.StartAsync(database);
        var id = VisitorId.NewId();
        var request = Guid.NewGuid();

        var first = await cluster.Client.FirstVisitAsync(id, request);
        var activations = await VisitorActivationsAsync(cluster);
        var retried = await cluster.Client.FirstVisitAsync(id, request);
        var second = await cluster.Client.GetGrain<IVisitorGrain>(id).CountAsync(Guid.NewGuid());

        Assert.Equal(0, activations);
        Assert.Equal(1, await VisitorActivationsAsync(cluster));
        Assert.Equal([1L, 1L, 2L], [first.Views, retried.Views, second.Views]);
        Assert.Equal(first.Color, second.Color);
        Assert.Equal(2, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    private static async Task<int> VisitorActivationsAsync(Orleans.TestingHost.InProcessTestCluster cluster) =>
        (await cluster.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains(nameof(VisitorGrain), StringComparison.Ordinal))
            .Sum(s => s.ActivationCount);
}
