using System.Text.RegularExpressions;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Web;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Operations;

/// <summary>The stats' Prometheus metrics on a real co-hosted site: the split alert's family with its alphas, waterfall stages and residuals, and lag, as the alert rules read them.</summary>
// The figures are static, like the meter: another site started in parallel would overwrite them.
[Collection(RunsAlone.Name)]
public sealed class StatsMetricsTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_split_family_waterfall_residuals_and_lag_are_exported_and_an_erasure_skew_flags_only_the_remaining_check()
    {
        var database = await postgres.CreateDatabaseAsync("stats_metrics");
        await using var app = WhoIsCounted.StartApp(database);
        var admin = WhoIsCounted.Admin(app);
        var red = Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId()).ToList();
        await ErasureLedgerTests.WriteTogetherAsync(database, (red, BallColor.Red), ([.. Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId())], BallColor.Blue));
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

        output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("ball_split", StringComparison.Ordinal) || l.StartsWith("ball_stats", StringComparison.Ordinal) || l.StartsWith("ball_waterfall", StringComparison.Ordinal) || l.StartsWith("# TYPE ball", StringComparison.Ordinal))));
        // The remaining visitors: descriptive, at 0.001, flagged by the skew.
        Assert.Equal(1, Value(metrics, "ball_split_check_flagged", "population=\"remaining\"", "test=\"sequential\""));
        Assert.Equal(1, Value(metrics, "ball_split_check_flagged", "population=\"remaining\"", "test=\"chi_square\""));
        Assert.Equal(0.001, Value(metrics, "ball_split_check_alpha", "population=\"remaining\""), 12);
        Assert.True(Value(metrics, "ball_split_check_p_value", "population=\"remaining\"", "test=\"chi_square\"") < 0.001);
        Assert.True(Value(metrics, "ball_split_check_log_bayes_factor", "population=\"remaining\"") > Math.Log(1000));
        // The split alert's family on the assigned counters: every browser at half of 0.001, each family at a fourteenth.
        Assert.Equal(0, Value(metrics, "ball_split_check_flagged", "population=\"assigned\"", "browser=\"all\"", "test=\"sequential\""));
        Assert.Equal(0, Value(metrics, "ball_split_check_latched", "population=\"assigned\"", "browser=\"all\""));
        Assert.Equal(0.0005, Value(metrics, "ball_split_check_alpha", "population=\"assigned\"", "browser=\"all\""), 12);
        foreach (var family in new[] { "other", "chrome", "edge", "firefox", "safari", "opera", "samsung" })
        {
            Assert.Equal(0.001 / 14, Value(metrics, "ball_split_check_alpha", "population=\"assigned\"", $"browser=\"{family}\""), 12);
            Assert.False(double.IsNaN(Value(metrics, "ball_split_check_log_bayes_factor", "population=\"assigned\"", $"browser=\"{family}\"")));
        }

        Assert.Equal(6000, Sum(metrics, "ball_waterfall_visitors", "stage=\"assigned\""));
        Assert.Equal(5400, Value(metrics, "ball_waterfall_visitors", "stage=\"remaining\"", "arm=\"red\"") + Value(metrics, "ball_waterfall_visitors", "stage=\"remaining\"", "arm=\"blue\""));
        Assert.Equal(2, metrics.Split('\n').Count(l => l.StartsWith("ball_waterfall_visitors{", StringComparison.Ordinal) && l.Contains("stage=\"residual\"", StringComparison.Ordinal) && l.EndsWith(" 0", StringComparison.Ordinal)));
        Assert.Equal(0, Sum(metrics, "ball_waterfall_requests", "stage=\"residual\""));
        Assert.Equal(1, Sum(metrics, "ball_waterfall_requests", "stage=\"notCounted\"", "reason=\"headOrPrefetch\""));
        Assert.Equal(1, Sum(metrics, "ball_waterfall_requests", "stage=\"shown\""));
        // No arm is "none": every request shown a ball showed one of the two.
        Assert.DoesNotContain(metrics.Split('\n'), l => l.StartsWith("ball_waterfall", StringComparison.Ordinal) && l.Contains("arm=\"none\"", StringComparison.Ordinal));
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
