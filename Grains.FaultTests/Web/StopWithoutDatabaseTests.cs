using System.Diagnostics;
using System.Net;
using BallOrleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Web;

/// <summary>
/// SIGTERM to a co-hosting site whose database has stopped, as an operator or Kubernetes sends
/// it: the process ends within <c>DOTNET_SHUTDOWNTIMEOUTSECONDS</c> by itself, each step that
/// could not reach the database says so in one line, and nothing prints a stack trace.
/// </summary>
/// <remarks>In the shared collection only so that it never runs beside the other process tests on two cores.
/// It takes 11–16 s with its own PostgreSQL, under the 20 s of a slow test.</remarks>
// A site process started, its database stopped, then SIGTERM: 10-20 s.
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class StopWithoutDatabaseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int ShutdownTimeoutSeconds = 10;
    private readonly PostgresServer _postgres = PostgresServer.Private("stopnodb");

    public Task InitializeAsync() => _postgres.InitializeAsync();

    public Task DisposeAsync() => _postgres.DisposeAsync();

    [Fact]
    public async Task Sigterm_with_the_database_down_ends_the_site_within_the_shutdown_timeout_without_stack_traces()
    {
        var port = PostgresServer.FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await _postgres.CreateDatabaseAsync("stop_without_database"),
            ["Orleans__ClusterId"] = $"stop-{port}",
            ["Orleans__SiloPort"] = PostgresServer.FreePort().ToString(),
            ["Orleans__GatewayPort"] = PostgresServer.FreePort().ToString(),
            ["DOTNET_SHUTDOWNTIMEOUTSECONDS"] = ShutdownTimeoutSeconds.ToString(),
        };
        await using var site = SiteProcess.Start(Path.GetTempPath(), environment, "--urls", $"http://127.0.0.1:{port}");
        await site.WaitForLineAsync("the admin pages", TimeSpan.FromSeconds(60));

        // Visitors and the stats, so that grains, the report's timer and the membership table's
        // timers are all at work when the database goes.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(15) };
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/stats")).StatusCode);

        await _postgres.StopAsync();
        // The site knows: a new visitor cannot be stored.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/")).StatusCode);

        var stopping = Stopwatch.StartNew();
        site.Terminate();
        var exitCode = await site.WaitForExitAsync(TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 30));
        var took = stopping.Elapsed;
        var lines = site.Lines;
        output.WriteLine($"exit code {exitCode} {took.TotalSeconds:0.0} s after SIGTERM; {lines.Count} lines:\n{site.Output()}");

        // By itself (0), not cut short by the deadline of last resort (1, which comes at the timeout).
        Assert.True(took < TimeSpan.FromSeconds(ShutdownTimeoutSeconds), $"stopped in {took.TotalSeconds:0.0} s:\n{site.Output()}");
        Assert.Equal(0, exitCode);

        // No stack trace at any level: the console writes an exception's frames as "   at …",
        // on lines of their own or, single-line, inside the entry's line.
        Assert.DoesNotContain(lines, l => l.Contains("   at ", StringComparison.Ordinal));
        // One line for each membership write that failed, and none of Orleans' echoes of it.
        Assert.Single(lines, l => l.Contains("updating status to ShuttingDown", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("updating status to Dead", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("(database unreachable: ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("failed to stop due to errors", StringComparison.Ordinal)
            || l.Contains("Continuing to stop", StringComparison.Ordinal)
            || l.Contains("failed to update its status", StringComparison.Ordinal));
        // The grains deactivated within the time left, rather than being abandoned at the timeout.
        Assert.DoesNotContain(lines, l => l.Contains("failed to deactivate promptly", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
    }
}
