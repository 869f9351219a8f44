using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Visitors;

/// <summary>The first visit of a just-minted id skips the storage read, and still never loses a count.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MintedVisitorTests(PostgresServer postgres)
{
    [Fact]
    public async Task A_minted_visitor_is_stored_on_its_first_visit()
    {
        var database = await postgres.CreateDatabaseAsync("minted");
        await using var cluster = await TestClusters.StartAsync(database);
        var id = VisitorId.NewId();

        MintedVisitor.Mark(id);
        var first = (await cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(firstVisit: true, Guid.NewGuid())).View!;
        MintedVisitor.Forget();
        var second = (await cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(firstVisit: false, Guid.NewGuid())).View!;

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
            var grain = cluster.Client.GetGrain<IVisitorGrain>(id);
            await grain.VisitAsync(firstVisit: true, Guid.NewGuid());
            before = (await grain.VisitAsync(firstVisit: false, Guid.NewGuid())).View!;
            await cluster.StopAllSilosAsync();
        }

        // A fresh silo is told the id was just minted, so its activation does not read the row:
        // the first write must find the row, and the grain must reload and count on top of it.
        await using var restarted = await TestClusters.StartAsync(database);
        MintedVisitor.Mark(id);
        var after = (await restarted.Client.GetGrain<IVisitorGrain>(id).VisitAsync(firstVisit: true, Guid.NewGuid())).View!;

        Assert.Equal(before.Color, after.Color);
        Assert.Equal(before.FirstSeen, after.FirstSeen);
        Assert.Equal(3, after.Views);
        Assert.Equal(3, await VisitorGrainTests.StoredViewsAsync(database, id));
    }
}

/// <summary>Which reads the visitors' storage skips: only the first one, of the marked id, of a state never read.</summary>
public sealed class MintedVisitorStorageTests
{
    [Fact]
    public async Task Only_the_first_read_of_the_marked_id_is_skipped()
    {
        var inner = new CountingStorage();
        var storage = new Grains.Storage.MintedVisitorStorage(inner);
        var id = VisitorId.NewId();
        var grainId = GrainId.Create("visitor", id);

        MintedVisitor.Mark(id);
        await storage.ReadStateAsync("visitor", grainId, new GrainState<VisitorState>(new VisitorState()));
        Assert.Equal(0, inner.Reads);

        await storage.ReadStateAsync("visitor", GrainId.Create("visitor", VisitorId.NewId()), new GrainState<VisitorState>(new VisitorState()));
        await storage.ReadStateAsync("visitor", grainId, new GrainState<VisitorState>(new VisitorState()) { ETag = "1", RecordExists = true });
        Assert.Equal(2, inner.Reads);

        MintedVisitor.Forget();
        await storage.ReadStateAsync("visitor", grainId, new GrainState<VisitorState>(new VisitorState()));
        Assert.Equal(3, inner.Reads);
    }

    private sealed class CountingStorage : Orleans.Storage.IGrainStorage
    {
        public int Reads { get; private set; }

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            Reads++;
            return Task.CompletedTask;
        }

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.CompletedTask;

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.CompletedTask;
    }
}
