using System.Net;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Security;

/// <summary>
/// Orleans' own warnings are redacted like ours (issue 26, item 7): its call-timeout warning names
/// the called grain, <c>visitor/{id}</c>. A visit whose write waits on a row lock longer than
/// <c>Orleans:CallTimeout</c> makes Orleans log it; every line the site logs, rendered by the
/// console's own simple and JSON formatters (message, state, scopes, exception), is then read for
/// the stored visitors' ids.
/// </summary>
// A site start and a wait for Orleans' timeout check (once a second): 10-30 s on a busy machine.
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class OrleansWarningRedactionTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private const string OrleansTimeoutWarning = "did not arrive on time";
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    [Fact]
    public async Task Orleans_call_timeout_warning_appears_and_no_line_of_either_console_format_holds_a_visitor_id()
    {
        var database = await postgres.CreateDatabaseAsync("orleans_warnings");
        var rendered = new RenderedLogs();
        var settings = new Dictionary<string, string?>
        {
            // Orleans gives up on the call long before the write's command timeout (5 s) ends the wait.
            ["Orleans:CallTimeout"] = "00:00:00.5",
            // One attempt: the test needs one timed-out call, not a retry loop behind the lock.
            ["Visits:RetryDeadline"] = "00:00:00",
            // Scopes rendered too, in both formats, as an operator may turn them on.
            ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
        };
        await using var app = new BallWebApp(database, settings: settings,
            services: s => s.AddSingleton<ILoggerProvider>(sp => new RenderedLogs.Provider(rendered, sp.GetServices<ConsoleFormatter>())));
        var client = app.CreateCookielessClient();

        // A returning visitor whose grain is active (a first visit stores them without it). Half
        // a second is short for a first call on a busy machine: each step is tried a few times.
        string? cookie = null;
        for (var i = 0; i < 10 && cookie is null; i++)
        {
            using var first = await WhoIsCounted.GetAsync(client, "/", Browser);
            cookie = Pages.NewVisitorId(first);
        }

        Assert.NotNull(cookie);
        var id = Pages.IdOf(cookie);
        var returned = false;
        for (var i = 0; i < 10 && !returned; i++)
        {
            using var again = await WhoIsCounted.GetAsync(client, "/", Browser, cookie);
            returned = again.StatusCode == HttpStatusCode.OK;
        }

        Assert.True(returned, "the returning visit never succeeded");

        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM ball_grain_state WHERE grain_key = $1 FOR UPDATE", connection, transaction))
            {
                lockRow.Parameters.Add(new() { Value = id });
                Assert.NotNull(await lockRow.ExecuteScalarAsync());
            }

            // The grain's write waits for the lock; Orleans times the call out and warns.
            using var blocked = await WhoIsCounted.GetAsync(client, "/", Browser, cookie);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);
            var waited = DateTime.UtcNow;
            while (!rendered.Lines.Any(l => l.Contains(OrleansTimeoutWarning, StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow - waited < TimeSpan.FromSeconds(15), $"Orleans logged no call timeout:\n{string.Join('\n', rendered.Lines)}");
                await Task.Delay(100);
            }

            await transaction.RollbackAsync();
        }

        var ids = (await StoredVisitors.ScalarTextAsync(database,
            "SELECT string_agg(grain_key, ',') FROM ball_grain_state WHERE state_name = 'visitor'"))!.Split(',');
        var lines = rendered.Lines;
        var warnings = lines.Where(l => l.Contains(OrleansTimeoutWarning, StringComparison.Ordinal)).ToList();
        output.WriteLine($"{lines.Count} rendered lines, {warnings.Count} of them Orleans' timeout; e.g.:\n{warnings[0]}");
        Assert.Contains(id, ids);
        // Both formats rendered the warning: the simple one's line and the JSON object.
        Assert.Contains(warnings, l => l.StartsWith("simple:", StringComparison.Ordinal));
        Assert.Contains(warnings, l => l.StartsWith("json:", StringComparison.Ordinal));
        Assert.Contains(warnings, l => l.Contains("visitor/[visitor id]", StringComparison.Ordinal));
        foreach (var line in lines)
        {
            var leaked = ids.Where(stored => line.Contains(stored, StringComparison.Ordinal)).ToList();
            Assert.True(leaked.Count == 0, $"a log line holds a raw visitor id ({leaked.FirstOrDefault()}):\n{line}");
        }
    }
}
