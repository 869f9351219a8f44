using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Stats;

public sealed class ReportGrainTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Totals_equal_the_sum_of_visitor_states_after_concurrent_load_on_two_silos()
    {
        var database = await postgres.CreateDatabaseAsync("report_two_silos");
        await using var cluster = await TestClusters.StartAsync(database, silos: 2);

        var ids = await StoredVisitors.LoadAsync(cluster.Client, visitors: 400, seed: 1);
        var (snapshot, expected, waited) = await StoredVisitors.WaitForReportAsync(cluster, database, TimeSpan.FromSeconds(10));

        // The stored rows are what the grains show: ask every grain too.
        var views = await Task.WhenAll(ids.Select(id => cluster.Client.GetGrain<IVisitorGrain>(id).PeekAsync()));
        Assert.Equal(expected, new StoredVisitors.Sums(
            views.Count(v => v!.Color == BallColor.Red), views.Count(v => v!.Color == BallColor.Blue),
            views.Where(v => v!.Color == BallColor.Red).Sum(v => v!.Views), views.Where(v => v!.Color == BallColor.Blue).Sum(v => v!.Views)));

        output.WriteLine($"totals exact {waited.TotalSeconds:0.00} s after the last visit");
        Assert.True(expected.Matches(snapshot), $"report {Describe(snapshot)} vs stored {expected}");
        Assert.Equal(400, expected.RedVisitors + expected.BlueVisitors);
        // Rows, totals and minutes move together: the read model agrees with them.
        Assert.Equal(400, await StoredVisitors.ScalarAsync(database, "SELECT count(*) FROM ball_visitor_stats"));
        Assert.Equal(snapshot.Views, await StoredVisitors.ScalarAsync(database, "SELECT sum(visits) FROM ball_visits_per_minute"));
        Assert.Equal(snapshot.Views, snapshot.Minutes.Sum(m => m.Visits));
    }

    [Fact]
    public async Task The_totals_are_exact_once_the_journal_is_folded_whichever_silo_died()
    {
        var database = await postgres.CreateDatabaseAsync("report_same_commit");
        await using var cluster = await TestClusters.StartAsync(database, silos: 2);

        await StoredVisitors.LoadAsync(cluster.Client, visitors: 300, seed: 2);
        await cluster.KillSiloAsync(cluster.Silos[1]);
        await StoredVisitors.LoadAsync(cluster.Client, visitors: 50, seed: 3);

        // Every answered visit's journal row was committed with it, whichever silo died: one fold
        // (whoever runs it) puts them all in the totals.
        var stored = await StoredVisitors.SumAsync(database);
        Assert.Equal(stored, await StoredVisitors.ReadModelSumAsync(database));
        Assert.Equal(stored, await StoredVisitors.TotalsAsync(database));
        Assert.Equal(350, stored.RedVisitors + stored.BlueVisitors);
    }

    [Fact]
    public async Task Aggregates_changed_by_hand_are_repaired_by_a_rebuild()
    {
        var database = await postgres.CreateDatabaseAsync("report_rebuild");
        await using var cluster = await TestClusters.StartAsync(database);
        var report = cluster.Client.GetGrain<IReportGrain>(0);
        await StoredVisitors.LoadAsync(cluster.Client, visitors: 80, seed: 4);
        Assert.True((await StoredVisitors.SumAsync(database)).Matches(await report.RefreshAsync()));

        // Aggregates written past the visit functions (a restore of the rows alone, a slip by hand).
        await StoredVisitors.QueryAsync(database, "UPDATE ball_report_totals SET visitors = visitors + 3, views = views + 7");
        Assert.False((await StoredVisitors.SumAsync(database)).Matches(await report.RefreshAsync()));

        // As the rebuild-read-model command does: as the schema's owner.
        await using var owner = NpgsqlDataSource.Create(postgres.AsOwner(database));
        Assert.Equal(80, await new ReadModelFromGrainState(owner).RebuildAsync(TestClusters.ServiceId));
        Assert.True((await StoredVisitors.SumAsync(database)).Matches(await report.RefreshAsync()));
    }

    [Fact]
    public async Task Totals_survive_a_restart_of_the_cluster()
    {
        var database = await postgres.CreateDatabaseAsync("report_restart");
        await using (var cluster = await TestClusters.StartAsync(database))
        {
            await StoredVisitors.LoadAsync(cluster.Client, visitors: 100, seed: 5);
            await StoredVisitors.WaitForReportAsync(cluster, database, TimeSpan.FromSeconds(10));
            await cluster.StopAllSilosAsync();
        }

        await using var restarted = await TestClusters.StartAsync(database);
        var snapshot = await restarted.Client.GetGrain<IReportGrain>(0).GetStatsAsync();

        Assert.Equal(100, snapshot.Visitors);
        Assert.True((await StoredVisitors.SumAsync(database)).Matches(snapshot));
    }

    private static string Describe(StatsSnapshot? s) =>
        s is null ? "(none)" : string.Join(", ", s.Colors.Select(c => $"{c.Color}: {c.Visitors} visitors, {c.Views} views"));
}
