using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Stats;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// The split alert's family and its Bonferroni weights, fixed in <see cref="SplitChecks"/>, and the
/// places that must say the same: the alert rule's thresholds and docs/stats.md.
/// </summary>
public sealed class SplitChecksTests
{
    [Fact]
    public void The_family_is_every_browser_at_one_half_and_each_of_the_seven_fixed_families_at_one_fourteenth()
    {
        Assert.Equal(
            ["all 0.5", "other 0.0714285714", "chrome 0.0714285714", "edge 0.0714285714", "firefox 0.0714285714",
             "safari 0.0714285714", "opera 0.0714285714", "samsung 0.0714285714"],
            SplitChecks.Family.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Name} {m.Weight:0.##########}")));
        Assert.Equal(0.0005, SplitChecks.Everyone.Alpha, 15);
        Assert.All(SplitChecks.Family.Skip(1), m => Assert.Equal(0.001 / 14, m.Alpha, 15));
        Assert.Null(SplitChecks.Everyone.Browser);
    }

    [Fact]
    public void The_weights_sum_to_one_so_the_family_alarms_at_most_at_its_alpha()
    {
        // A family added to BrowserFamily without new weights would push the sum over 1.
        Assert.Equal(1, SplitChecks.Family.Sum(m => m.Weight), 12);
        Assert.Equal(0.001, SplitChecks.Family.Sum(m => m.Alpha), 15);
        Assert.Equal(Enum.GetValues<BrowserFamily>().Length + 1, SplitChecks.Family.Count);
    }

    [Theory]
    [InlineData(0, 0.001)]
    [InlineData(1, 0.001)]
    [InlineData(2, 0.0005)]
    [InlineData(29, 0.001 / 29)]
    [InlineData(400, 0.0000025)]
    public void A_closed_day_is_checked_at_one_thousandth_divided_by_the_closed_days_shown(int closedDays, double alpha) =>
        Assert.Equal(alpha, SplitChecks.ClosedDayAlpha(closedDays), 15);

    [Fact]
    public void The_alert_rule_pages_at_the_log_bayes_factor_the_weights_give_and_no_earlier()
    {
        var rules = File.ReadAllText(Path.Combine(Repository.Root(), "deploy", "prometheus", "ball-alerts.yml"));
        var everyone = Threshold(rules, "browser=\"all\"");
        var families = Threshold(rules, "browser!=\"all\"");

        // Rounded up in the rule: never below the exact figure, and within 1e-4 of it.
        Assert.InRange(everyone - Math.Log(1 / SplitChecks.Everyone.Alpha), 0, 1e-4);
        Assert.InRange(families - Math.Log(1 / SplitChecks.Family[1].Alpha), 0, 1e-4);
        Assert.InRange(everyone, Math.Log(2000), Math.Log(2000) + 1e-4);
        Assert.InRange(families, Math.Log(14000), Math.Log(14000) + 1e-4);
    }

    [Fact]
    public void The_docs_state_the_same_weights_and_alphas()
    {
        var docs = File.ReadAllText(Path.Combine(Repository.Root(), "docs", "stats.md"));
        var table = docs[docs.IndexOf("## The split alert's family", StringComparison.Ordinal)..];
        Assert.Contains("| every browser (`all`) | 1/2 | 0.0005 |", table, StringComparison.Ordinal);
        Assert.Contains(
            $"| each of {string.Join(", ", BrowserFamilyNames.All.Select(f => $"`{f.Name()}`"))} | 1/14 each | 0.0000714 |",
            table, StringComparison.Ordinal);
        Assert.Equal("1/2", SplitChecks.WeightText(SplitChecks.EveryBrowserWeight));
        Assert.Equal("1/14", SplitChecks.WeightText(SplitChecks.BrowserFamilyWeight));
    }

    [Fact]
    public void The_families_are_named_as_the_visitor_rows_store_them()
    {
        foreach (var family in BrowserFamilyNames.All)
        {
            Assert.Equal($"\"{family.Name()}\"", JsonSerializer.Serialize(family));
            Assert.True(BrowserFamilyNames.TryParse(family.Name(), out var parsed));
            Assert.Equal(family, parsed);
        }

        Assert.False(BrowserFamilyNames.TryParse("", out _));
        Assert.False(BrowserFamilyNames.TryParse(null, out _));
    }

    private static double Threshold(string rules, string selector)
    {
        var match = Regex.Match(rules, Regex.Escape($"population=\"assigned\", {selector}}})") + @" >= (?<t>[0-9.]+)");
        Assert.True(match.Success, $"no threshold for {selector} in ball-alerts.yml");
        return double.Parse(match.Groups["t"].Value, CultureInfo.InvariantCulture);
    }
}
