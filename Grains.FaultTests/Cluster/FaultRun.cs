using BallOrleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// One fault scenario under load, as the silo and the database scenarios both run it: a steady
/// load starts on a whole cluster, the fault strikes after a warm-up, the cluster is made whole
/// again, the load runs on a little, and the history is held against what was stored.
/// </summary>
internal static class FaultRun
{
    private static readonly TimeSpan Warm = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Tail = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Runs <paramref name="inject"/> under load on <paramref name="cluster"/> (whose database and
    /// stats the checker reads), then <paramref name="makeWhole"/>; what each returned comes back
    /// with the history and its verdict.
    /// </summary>
    public static async Task<FaultRun<TFault, TWhole>> RunAsync<TFault, TWhole>(
        LocalCluster cluster, string database, HttpClient stats, ITestOutputHelper output, string fault,
        Func<Task<TFault>> inject, Func<Task<TWhole>> makeWhole)
    {
        var stored = await ClusterProbe.StoredViewsAsync(database);
        await using var load = await VisitLoad.StartAsync(
            cluster.Site, visitors: 10, newcomerEvery: 5, pause: TimeSpan.FromMilliseconds(25), secondTabEvery: 7);
        await Task.Delay(Warm);

        var faultAt = load.Now;
        output.WriteLine($"{fault}: began {DateTime.UtcNow:HH:mm:ss.fff} UTC");
        var injected = await inject();
        var faultEnded = load.Now;
        output.WriteLine($"{fault}: ended {DateTime.UtcNow:HH:mm:ss.fff} UTC");
        var whole = await makeWhole();
        await Task.Delay(Tail);
        await load.StopAsync();

        var verdict = await HistoryChecker.CheckAsync(load.History, database, stats, stored);
        return new FaultRun<TFault, TWhole>(cluster, injected, whole, load.History, faultAt, faultEnded, verdict);
    }
}

/// <summary>A finished <see cref="FaultRun"/>: what the fault and the mending returned, the history, and its verdict.</summary>
internal sealed record FaultRun<TFault, TWhole>(
    LocalCluster Cluster, TFault Injected, TWhole Whole, VisitHistory History, TimeSpan FaultAt, TimeSpan FaultEnded, HistoryChecker.Verdict Verdict)
{
    /// <summary>
    /// Prints <paramref name="figureLine"/>, where the slowest visits fell against the fault, and,
    /// when anything failed (or <paramref name="missed"/>), the warnings the processes logged; then
    /// asserts what every scenario must hold: the checker's invariants, an honest answer for every
    /// visit, and enough load to mean anything.
    /// </summary>
    public void ReportAndAssertHeld(ITestOutputHelper output, string figureLine, Figures figures, bool missed = false)
    {
        TestReport.Figures(output, figureLine);
        foreach (var slow in History.Visits.OrderByDescending(v => v.Took).Take(5))
        {
            output.WriteLine($"  slow: began {(slow.Start - FaultAt).TotalSeconds:+0.0;-0.0} s after the fault, took {slow.Took.TotalMilliseconds:F0} ms, {slow.Outcome}");
        }

        if (!Verdict.Invariants.All(i => i.Held) || figures.Failures > 0 || missed)
        {
            output.WriteLine($"warnings the processes logged:\n{Cluster.Warnings()}");
        }

        Verdict.AssertHeld();
        Assert.True(figures.Failures == 0, $"{figures.Failures} visits got neither a page nor an honest 503");
        Assert.True(figures.Visits > 300, $"too little load to mean anything: {figures.Visits} visits");
    }
}
