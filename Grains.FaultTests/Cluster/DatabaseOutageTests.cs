using System.Diagnostics;
using System.Net;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Visits;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// PostgreSQL stopped for 10 s under load: visits fail fast with a 503 that says they were not
/// counted, readiness says so, and everything recovers by itself with no acknowledged visit lost.
/// </summary>
/// <remarks>In the shared collection only so that it never runs beside the other cluster tests on two cores.</remarks>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class DatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
    private readonly PostgresServer _postgres = PostgresServer.Private("outage");

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public Task DisposeAsync() => _postgres.DisposeAsync();

    [Fact]
    public async Task Visits_fail_fast_while_the_database_is_down_and_recover_by_themselves()
    {
        var database = await _postgres.CreateDatabaseAsync("outage");
        await using var cluster = await LocalCluster.StartAsync(database, silos: 2);
        using var probe = new HttpClient { BaseAddress = cluster.Site, Timeout = TimeSpan.FromSeconds(5) };
        await using var load = await VisitLoad.StartAsync(cluster.Site, visitors: 8, newcomerEvery: 5, pause: TimeSpan.FromMilliseconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2));

        await _postgres.StopAsync();
        var stoppedAt = load.Now;
        var readiness = new List<HttpStatusCode>();
        var down = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(1));
        using var refused = await probe.GetAsync("/");
        var refusedPage = await refused.Content.ReadAsStringAsync();
        while (down.Elapsed < Outage)
        {
            readiness.Add((await probe.GetAsync("/health/ready")).StatusCode);
            await Task.Delay(500);
        }

        await _postgres.StartAsync();
        var restartedAt = load.Now;
        var ready = Stopwatch.StartNew();
        while ((await probe.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(ready.Elapsed < TimeSpan.FromSeconds(30), "not ready again within 30 s of the database's return");
            await Task.Delay(100);
        }

        var readyAfter = ready.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(3));
        await load.StopAsync();

        var visits = load.History.Visits.ToList();
        var during = visits.Where(v => v.Start >= stoppedAt && v.Start < restartedAt).ToList();
        var firstSuccessAfter = visits.Where(v => v.Start >= restartedAt && v.Outcome == VisitorSaw.Counted)
            .Select(v => v.End - restartedAt).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        var unavailable = visits.Where(v => v.Status == 503).Select(v => v.Took).Order().ToList();
        var slowest503 = unavailable.DefaultIfEmpty().Max();
        var p99 = unavailable.Count == 0 ? TimeSpan.Zero : unavailable[(int)(unavailable.Count * 0.99)];
        var figures = Figures.Of(load.History, stoppedAt);
        var verdict = await SiloFailureTests.CheckHistoryAsync(database, load, cluster);
        TestReport.Figures(output, $"PostgreSQL down {Outage.TotalSeconds:F0} s: {figures}, 503s during outage={during.Count(v => v.Status == 503)}/{during.Count}, " +
               $"503 p99={p99.TotalMilliseconds:F0} ms, slowest 503={slowest503.TotalMilliseconds:F0} ms, first visit stored {firstSuccessAfter.TotalSeconds:F1} s after restart, " +
               $"ready again {readyAfter.TotalSeconds:F1} s after restart, {verdict}");

        Assert.Equal(0, figures.Failures);
        Assert.True(during.Count(a => a.Status == 503) > 10, "the outage produced no 503s: was the database really down?");
        // Within 1 s; on two cores shared with the rest of the run, a few stragglers may queue
        // behind the failure logging, but none may hang (the connect timeout is 3 s).
        Assert.True(p99 < TimeSpan.FromSeconds(1), $"99% of 503s took up to {p99.TotalMilliseconds:F0} ms");
        Assert.True(slowest503 < TimeSpan.FromSeconds(4), $"a 503 took {slowest503.TotalMilliseconds:F0} ms");
        Assert.Contains(HttpStatusCode.ServiceUnavailable, readiness);
        Assert.True(firstSuccessAfter < TimeSpan.FromSeconds(30), "no visit was stored after the database came back");
        // Storage refused those visits, a known outcome: the page and the header say "not counted".
        Assert.True(during.Count(v => v.Outcome == VisitorSaw.NotCounted) > 10, "the outage's 503s did not say the visits were not counted");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(VisitEndpoints.NotCounted, refused.Headers.GetValues(VisitEndpoints.OutcomeHeader).Single());
        Assert.Contains("This visit was not counted", refusedPage);
        verdict.AssertHeld();
    }
}
