using System.Net;
using BallOrleans.Tests.Cluster;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Security;

/// <summary>
/// No log holds a raw visitor id (issue 18, item 5): after a real database outage under load,
/// which makes every process warn about visits not stored, none of the processes' logs contains
/// the id of any visitor the database holds.
/// </summary>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class NoRawIdsInLogsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly PostgresServer _postgres = PostgresServer.Private("rawids");

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public Task DisposeAsync() => _postgres.DisposeAsync();

    [Fact]
    public async Task After_a_database_outage_no_process_log_holds_a_stored_visitors_id()
    {
        var database = await _postgres.CreateDatabaseAsync("rawids");
        await using var cluster = await LocalCluster.StartAsync(database, silos: 1);
        using var probe = new HttpClient { BaseAddress = cluster.Site, Timeout = TimeSpan.FromSeconds(5) };
        await using (var load = await VisitLoad.StartAsync(cluster.Site, visitors: 8, newcomerEvery: 5, pause: TimeSpan.FromMilliseconds(20)))
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            await _postgres.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(4));
            await _postgres.StartAsync();
            var back = DateTime.UtcNow;
            while ((await probe.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow - back < TimeSpan.FromSeconds(30), "not ready within 30 s of the database's return");
                await Task.Delay(200);
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
            await load.StopAsync();
        }

        var ids = (await StoredVisitors.ScalarTextAsync(database,
            "SELECT string_agg(grain_key, ',') FROM ball_grain_state WHERE state_name = 'visitor'"))!.Split(',');
        var logs = Directory.GetFiles(cluster.RunDirectory, "*.log").ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        var notStored = logs.Values.Sum(log => log.Split('\n').Count(line => line.Contains("not stored", StringComparison.Ordinal)
            || line.Contains("database unavailable", StringComparison.Ordinal)));
        output.WriteLine($"{ids.Length} stored visitors, {logs.Count} process logs, {notStored} lines about visits not stored");

        Assert.True(ids.Length > 8, "the load stored too few visitors to look for");
        Assert.True(notStored > 5, "the outage logged no warnings about visits: was the database really down?");
        // Our own lines name the visitor by pseudonym.
        Assert.Contains(logs.Values, log => log.Contains("Visit of pid ", StringComparison.Ordinal) || log.Contains("First visit of pid ", StringComparison.Ordinal));
        foreach (var (file, log) in logs)
        {
            var leaked = ids.Where(id => log.Contains(id, StringComparison.Ordinal)).ToList();
            Assert.True(leaked.Count == 0, $"{file} holds {leaked.Count} raw visitor ids, e.g. {leaked.FirstOrDefault()}");
        }
    }
}
