using System.Diagnostics;
using BallOrleans.Grains.Stats;
using BallOrleans.Tests.Infrastructure;
using Npgsql;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// The visits per minute older than the hour the stats show are deleted by the silos themselves:
/// nobody needs to read the stats (the report grain is never activated here) or scrape the metrics.
/// </summary>
public sealed class MinutePruningTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string OldMinutes = "SELECT count(*) FROM ball_visits_per_minute WHERE minute < now() - interval '61 minutes'";
    private const string RecentMinutes = "SELECT count(*) FROM ball_visits_per_minute WHERE minute >= now() - interval '61 minutes'";

    [Fact]
    public async Task Old_minutes_are_pruned_by_every_silo_with_no_stats_read()
    {
        var database = await postgres.CreateDatabaseAsync("minute_pruning");
        await InsertMinutesAsync(database);

        await using var cluster = await TestClusters.StartAsync(database, silos: 2,
            settings: new Dictionary<string, string?> { [$"{StatsOptions.Section}:{nameof(StatsOptions.PruneMilliseconds)}"] = "200" });

        var waited = Stopwatch.StartNew();
        while (await StoredVisitors.ScalarAsync(database, OldMinutes) > 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "old minutes still there 30 s after the cluster started");
            await Task.Delay(100);
        }

        // The last hour is what /stats shows: it stays.
        Assert.Equal(2, await StoredVisitors.ScalarAsync(database, RecentMinutes));
        var reports = (await cluster.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains(nameof(ReportGrain), StringComparison.Ordinal))
            .Sum(s => s.ActivationCount);
        Assert.Equal(0, reports);
    }

    [Fact]
    public async Task A_prune_while_another_is_pruning_returns_at_once_and_the_next_one_finishes_the_job()
    {
        var database = await postgres.CreateDatabaseAsync("minute_pruning_lock");
        await InsertMinutesAsync(database);
        await using var dataSource = NpgsqlDataSource.Create(database);
        var store = new StatsStore(dataSource, TimeProvider.System);

        // Another silo's prune, in flight: it holds the pruning lock until it commits.
        await using (var other = await dataSource.OpenConnectionAsync())
        await using (var transaction = await other.BeginTransactionAsync())
        {
            await using (var hold = new NpgsqlCommand("SELECT ball_stats_prune_minutes()", other, transaction))
            {
                await hold.ExecuteScalarAsync();
            }

            // The old rows are gone in that transaction only; this one neither waits for it nor deletes.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            Assert.Equal(0, await store.PruneMinutesAsync(timeout.Token));
            Assert.Equal(2, await StoredVisitors.ScalarAsync(database, OldMinutes));
            await transaction.RollbackAsync();
        }

        Assert.Equal(2, await store.PruneMinutesAsync());
        Assert.Equal(0, await store.PruneMinutesAsync());
        Assert.Equal(0, await StoredVisitors.ScalarAsync(database, OldMinutes));
        Assert.Equal(2, await StoredVisitors.ScalarAsync(database, RecentMinutes));
    }

    /// <summary>Two minutes long past (three hours, two days), two of the last hour.</summary>
    private static Task InsertMinutesAsync(string database) => StoredVisitors.QueryAsync(database, """
        INSERT INTO ball_visits_per_minute (minute, color, shard, visits) VALUES
            (date_trunc('minute', now()) - interval '3 hours', 'red', 0, 4),
            (date_trunc('minute', now()) - interval '2 days', 'blue', 3, 7),
            (date_trunc('minute', now()) - interval '5 minutes', 'red', 0, 2),
            (date_trunc('minute', now()), 'blue', 1, 1)
        """);
}
