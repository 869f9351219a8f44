using System.Diagnostics;
using BallOrleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// Real Silo and Web processes under a steady load of returning visitors, while silos die, leave
/// and join. Visitors must see no error, and what is stored must be exactly what they were shown.
/// </summary>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class SiloFailureTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Killing_one_of_three_silos_under_load_shows_no_error_and_loses_no_visit()
    {
        var database = await postgres.CreateDatabaseAsync("kill9");
        await using var cluster = await LocalCluster.StartAsync(database, silos: 3);
        await using var load = await VisitLoad.StartAsync(cluster.Site, visitors: 12, newcomerEvery: 10);
        await Task.Delay(TimeSpan.FromSeconds(3));

        cluster.Signal(2, 9);
        var killedAt = load.Now;
        var dead = Stopwatch.StartNew();
        while (await ClusterProbe.SiloStatusAsync(database, cluster.SiloPort(2)) != 6)
        {
            Assert.True(dead.Elapsed < TimeSpan.FromSeconds(20), "the killed silo was not declared dead within 20 s");
            await Task.Delay(100);
        }

        var declaredDead = dead.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(4));
        await load.StopAsync();

        var figures = Figures.Of(load.History, killedAt);
        var verdict = await CheckHistoryAsync(database, load, cluster);
        TestReport.Figures(output, $"kill -9 of 1 of 3 silos: {figures}, declared dead after {declaredDead.TotalSeconds:F1} s, {verdict}");
        Assert.Equal(0, figures.Failures);
        Assert.Equal(0, figures.Unavailable);
        Assert.True(figures.Visits > 100, $"too little load to mean anything: {figures.Visits} visits");
        verdict.AssertHeld();
    }

    [Fact]
    public async Task A_graceful_stop_and_a_new_silo_under_load_show_no_error_and_the_new_silo_takes_visits()
    {
        var database = await postgres.CreateDatabaseAsync("rolling");
        // Dead silos' rows are deleted within seconds here (an hour by default), to see that happen.
        var prompt = new Dictionary<string, string?>
        {
            ["Orleans__Membership__DefunctSiloExpiration"] = "00:00:01",
            ["Orleans__Membership__DefunctSiloMinimumRetention"] = "00:00:01",
            ["Orleans__Membership__DefunctSiloCleanupPeriod"] = "00:00:02",
        };
        await using var cluster = await LocalCluster.StartAsync(database, silos: 2, prompt);
        await using var load = await VisitLoad.StartAsync(cluster.Site, visitors: 12, newcomerEvery: 4);
        await Task.Delay(TimeSpan.FromSeconds(3));

        var pid = cluster.SiloPid(2);
        cluster.Signal(2, 15);
        var terminatedAt = load.Now;
        var stopping = Stopwatch.StartNew();
        while (Process.GetProcesses().Any(p => p.Id == pid))
        {
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(30), "the silo did not stop within 30 s of SIGTERM");
            await Task.Delay(100);
        }

        var stopped = stopping.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));
        var joining = Stopwatch.StartNew();
        await cluster.AddSiloAsync();
        var joined = joining.Elapsed;
        // Newcomers keep activating grains when they reload; about half land on the new silo.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var onNewSilo = await ClusterProbe.VisitActivationsAsync(database, cluster, cluster.SiloPort(3));
        var cleanup = Stopwatch.StartNew();
        while (await ClusterProbe.SiloStatusAsync(database, cluster.SiloPort(2)) is not null)
        {
            Assert.True(cleanup.Elapsed < TimeSpan.FromSeconds(20), "the stopped silo's membership row was not deleted");
            await Task.Delay(250);
        }

        await load.StopAsync();

        var figures = Figures.Of(load.History, terminatedAt);
        var verdict = await CheckHistoryAsync(database, load, cluster);
        TestReport.Figures(output, $"SIGTERM of 1 of 2 silos, then a new silo: {figures}, silo stopped in {stopped.TotalSeconds:F1} s, " +
               $"new silo serving in {joined.TotalSeconds:F1} s with {onNewSilo} visit grains, stopped silo's row deleted, {verdict}");
        Assert.Equal(0, figures.Failures);
        Assert.Equal(0, figures.Unavailable);
        Assert.True(onNewSilo > 0, "no visit reached a grain on the new silo");
        verdict.AssertHeld();
    }

    /// <summary>The history checker on a loopback cluster, whose stats answer loopback clients without a password.</summary>
    internal static async Task<HistoryChecker.Verdict> CheckHistoryAsync(string database, VisitLoad load, LocalCluster cluster)
    {
        using var stats = new HttpClient { BaseAddress = cluster.Site, Timeout = TimeSpan.FromSeconds(5) };
        return await HistoryChecker.CheckAsync(load.History, database, stats);
    }
}
