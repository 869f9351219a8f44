using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Visitors;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Storage;
using Orleans.TestingHost;
using static BallOrleans.Tests.Storage.StoredRows;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// A commit that waits for a synchronous standby which never confirms, on a private PostgreSQL
/// whose <c>synchronous_standby_names</c> names a standby that does not exist (the state of a
/// primary whose standbys are all lost). Npgsql cancels the command at its timeout; PostgreSQL then
/// keeps the commit on the primary alone and answers success with a warning. Both storage modes
/// must call that "unknown", and so must an erasure.
/// </summary>
public abstract class SynchronousCommitTests(string storage) : IAsyncLifetime
{
    [Collection(RunsAlone.Name)]
    public sealed class Grouped() : SynchronousCommitTests(VisitorStorageOptions.Grouped);

    [Collection(RunsAlone.Name)]
    public sealed class AdoNet() : SynchronousCommitTests(VisitorStorageOptions.AdoNet);

    private readonly PostgresServer _postgres = PostgresServer.Private($"syncwait-{storage}");

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public Task DisposeAsync() => _postgres.DisposeAsync();

    [Fact]
    public async Task A_write_whose_wait_for_the_standby_was_cancelled_is_unknown_not_stored()
    {
        var (database, cluster) = await StartAsync("syncwrite");
        await using var _ = cluster;
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Visitors);
        var id = NewGrainId();
        var state = NewState(1);
        await storage.WriteStateAsync(StorageNames.VisitorState, id, state);

        await SetStandbyAsync("'no_standby_of_this_name'");
        state.State!.RedViews = 2;
        var failure = await Record.ExceptionAsync(() => storage.WriteStateAsync(StorageNames.VisitorState, id, state));
        await SetStandbyAsync("''");

        Assert.IsType<CommitOutcomeUnknownException>(failure);
        Assert.Contains("synchronous replication", failure.InnerException!.Message, StringComparison.Ordinal);
        // What makes "unknown" the only honest answer: the primary kept the write.
        Assert.Equal(2, await StoredVisitors.ScalarAsync(database,
            $"SELECT red_views FROM ball_grain_state WHERE grain_key = '{id.Key}' AND state_name = 'visitor'"));
    }

    [Fact]
    public async Task A_visit_whose_wait_for_the_standby_was_cancelled_is_unconfirmed_until_a_retry_commits_it_again()
    {
        var (database, cluster) = await StartAsync("syncvisit");
        await using var _ = cluster;
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(id);
        var request = VisitRequestId.New();

        await SetStandbyAsync("'no_standby_of_this_name'");
        var cancelled = await visitor.VisitAsync(request);
        await SetStandbyAsync("''");
        var retried = await visitor.VisitAsync(request);

        Assert.IsType<VisitOutcome.Unknown>(cancelled);
        Assert.Equal(2, retried.CountedView().Views);
        Assert.Equal(2, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task An_erasure_whose_wait_for_the_standby_was_cancelled_is_unconfirmed_until_one_commits_on_the_standby()
    {
        var (database, cluster) = await StartAsync("syncerase");
        await using var _ = cluster;
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(id);

        await SetStandbyAsync("'no_standby_of_this_name'");
        var cancelled = await visitor.ForgetAsync(ErasureReason.Forget);
        var goneOnThePrimary = await VisitorGrainTests.StoredViewsAsync(database, id) is null;
        // Nothing is left to delete, and still no standby has the erasure: not "forgotten" yet.
        var again = await visitor.ForgetAsync(ErasureReason.Forget);
        await SetStandbyAsync("''");
        var confirmed = await visitor.ForgetAsync(ErasureReason.Forget);

        Assert.Equal(ErasureOutcome.Unknown, cancelled);
        Assert.True(goneOnThePrimary, "the primary keeps a commit whose wait was cancelled");
        Assert.Equal(ErasureOutcome.Unknown, again);
        Assert.Equal(ErasureOutcome.NothingToErase, confirmed);
        await StatsBooks.AssertNoTraceAsync(_postgres.AsOwner(database), id);
        await StatsBooks.AssertBalancedAsync(database);
    }

    private async Task<(string Database, InProcessTestCluster Cluster)> StartAsync(string purpose)
    {
        // A second's command timeout: Npgsql cancels the wait for the standby after it.
        var database = new NpgsqlConnectionStringBuilder(await _postgres.CreateDatabaseAsync(purpose)) { CommandTimeout = 1 }.ConnectionString;
        return (database, await TestClusters.StartAsync(database, storage: storage));
    }

    private async Task SetStandbyAsync(string names)
    {
        await using var connection = new NpgsqlConnection(_postgres.AdminConnectionString);
        await connection.OpenAsync();
        await using (var alter = new NpgsqlCommand($"ALTER SYSTEM SET synchronous_standby_names = {names}", connection))
        {
            await alter.ExecuteNonQueryAsync();
        }

        await using (var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection))
        {
            await reload.ExecuteNonQueryAsync();
        }

        // The reload is asynchronous: wait until a new session sees it.
        for (var i = 0; i < 50; i++)
        {
            await using var check = new NpgsqlConnection(_postgres.AdminConnectionString);
            await check.OpenAsync();
            await using var show = new NpgsqlCommand("SHOW synchronous_standby_names", check);
            if ((string)(await show.ExecuteScalarAsync())! == names.Trim('\''))
            {
                return;
            }

            await Task.Delay(100);
        }
    }
}
