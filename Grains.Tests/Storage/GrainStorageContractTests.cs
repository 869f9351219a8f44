using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using static BallOrleans.Tests.Storage.StoredRows;

namespace BallOrleans.Tests.Storage;

/// <summary>Both visitor storages (grouped, and the ADO.NET provider on our SQL) keep Orleans' optimistic-concurrency contract.</summary>
public abstract class GrainStorageContractTests(PostgresServer postgres, string storage) : IAsyncLifetime
{
    public sealed class Grouped(PostgresServer postgres) : GrainStorageContractTests(postgres, VisitorStorageOptions.Grouped), IClassFixture<PostgresServer>;

    public sealed class AdoNet(PostgresServer postgres) : GrainStorageContractTests(postgres, VisitorStorageOptions.AdoNet), IClassFixture<PostgresServer>;

    private InProcessTestCluster _cluster = null!;
    private IGrainStorage _storage = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TestClusters.StartAsync(await postgres.CreateDatabaseAsync("contract"), storage: storage);
        _storage = _cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Visitors);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_write_with_a_stale_etag_raises_InconsistentStateException()
    {
        var grainId = NewGrainId();
        var mine = NewState(views: 1);
        await _storage.WriteStateAsync("visitor", grainId, mine);
        var stale = new GrainState<VisitorState>(mine.State, mine.ETag);
        mine.State!.RedViews = 2;
        await _storage.WriteStateAsync("visitor", grainId, mine);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("visitor", grainId, stale));

        var read = new GrainState<VisitorState>();
        await _storage.ReadStateAsync("visitor", grainId, read);
        Assert.Equal(2, read.State!.RedViews);
        Assert.Equal(mine.ETag, read.ETag);
    }

    [Fact]
    public async Task Of_two_first_writes_to_one_row_exactly_one_wins()
    {
        var grainId = NewGrainId();
        var writes = Enumerable.Range(1, 8)
            .Select(async views =>
            {
                try
                {
                    await _storage.WriteStateAsync("visitor", grainId, NewState(views));
                    return true;
                }
                catch (InconsistentStateException)
                {
                    return false;
                }
            })
            .ToList();

        var outcomes = await Task.WhenAll(writes);

        Assert.Equal(1, outcomes.Count(won => won));
        var read = new GrainState<VisitorState>();
        await _storage.ReadStateAsync("visitor", grainId, read);
        Assert.Equal("1", read.ETag);
    }

    [Fact]
    public async Task Cleared_state_reads_back_empty_and_the_version_keeps_counting()
    {
        var grainId = NewGrainId();
        var state = NewState(views: 3);
        await _storage.WriteStateAsync("visitor", grainId, state);
        if (storage == VisitorStorageOptions.Grouped)
        {
            // Visitors are erased, never cleared: the grouped storage refuses rather than keep an unused path.
            await Assert.ThrowsAsync<NotSupportedException>(() => _storage.ClearStateAsync("visitor", grainId, state));
            return;
        }

        await _storage.ClearStateAsync("visitor", grainId, state);

        var read = new GrainState<VisitorState>();
        await _storage.ReadStateAsync("visitor", grainId, read);

        Assert.Equal(0, read.State!.TotalViews);
        Assert.Equal("2", read.ETag);
    }
}
