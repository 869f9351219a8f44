using System.Text.RegularExpressions;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Web;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Operations;

/// <summary>The stats' Prometheus metrics on a real co-hosted site: split checks, waterfall stages and lag, as the alert rules read them.</summary>
// Alone: the metrics read here come from process-wide meters, which other classes' visits would move.
[Collection(RunsAlone.Name)]
public sealed class StatsMetricsTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_split_checks_waterfall_and_lag_are_exported_and_an_erasure_skew_flags_only_the_remaining_check()
    {
        var database = await postgres.CreateDatabaseAsync("stats_metrics");
        await using var app = WhoIsCounted.StartApp(database);
        var admin = WhoIsCounted.Admin(app);
        var red = Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId()).ToList();
        await ErasureLedgerTests.WriteAsync(database, red, BallColor.Red);
        await ErasureLedgerTests.WriteAsync(database, [.. Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId())], BallColor.Blue);
        Assert.Equal(600, await ErasureLedgerTests.EraseAsync(database, [.. red.Take(600)], "forget"));
        await WhoIsCounted.GetAsync(app.CreateCookielessClient(), "/", method: HttpMethod.Head);

        // Refreshed every 5 s in the background: wait for figures that include the erasure.
        string metrics = "";
        for (var attempt = 0; attempt < 100; attempt++)
        {
            metrics = await admin.GetStringAsync("/metrics");
            if (Value(metrics, "ball_waterfall_visitors", "stage=\"erased\"", "reason=\"forget\"", "arm=\"red\"") == 600
                && Sum(metrics, "ball_waterfall_requests", "stage=\"notCounted\"", "reason=\"headOrPrefetch\"") == 1)
            {
                break;
            }

            await Task.Delay(200);
        }

        output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("ball_split", StringComparison.Ordinal) || l.StartsWith("ball_stats", StringComparison.Ordinal) || l.StartsWith("# TYPE ball", StringComparison.Ordinal))));
        Assert.Equal(1, Value(metrics, "ball_split_check_flagged", "population=\"remaining\"", "test=\"sequential\""));
        Assert.Equal(1, Value(metrics, "ball_split_check_flagged", "population=\"remaining\"", "test=\"chi_square\""));
        Assert.Equal(0, Value(metrics, "ball_split_check_flagged", "population=\"assigned\"", "test=\"sequential\""));
        Assert.True(Value(metrics, "ball_split_check_p_value", "population=\"remaining\"", "test=\"chi_square\"") < 0.001);
        Assert.True(Value(metrics, "ball_split_check_log_bayes_factor", "population=\"remaining\"") > Math.Log(1000));
        Assert.Equal(5400, Value(metrics, "ball_waterfall_visitors", "stage=\"remaining\"", "arm=\"red\"") + Value(metrics, "ball_waterfall_visitors", "stage=\"remaining\"", "arm=\"blue\""));
        Assert.Equal(1, Sum(metrics, "ball_waterfall_requests", "stage=\"notCounted\"", "reason=\"headOrPrefetch\""));
        var lag = Value(metrics, "ball_stats_lag_seconds");
        Assert.InRange(lag, 0, 5);
    }

    /// <summary>The sum of the samples of <paramref name="name"/> carrying every label given.</summary>
    internal static double Sum(string metrics, string name, params string[] labels) => metrics.Split('\n')
        .Select(line => Regex.Match(line, $"^{name}(\\{{(?<labels>[^}}]*)\\}})? (?<value>\\S+)"))
        .Where(m => m.Success && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
        .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The value of the first sample of <paramref name="name"/> carrying every label given.</summary>
    internal static double Value(string metrics, string name, params string[] labels)
    {
        foreach (var line in metrics.Split('\n'))
        {
            var match = Regex.Match(line, $"^{name}(\\{{(?<labels>[^}}]*)\\}})? (?<value>\\S+)");
            if (match.Success && labels.All(l => match.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            {
                return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }
}
