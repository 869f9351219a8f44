using System.Globalization;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>One check of the split alert's family: every browser (<see cref="Browser"/> null) or one browser family, and its share of the family's alpha.</summary>
public sealed record SplitFamilyMember(BrowserFamily? Browser, double Weight)
{
    /// <summary>The name in <c>/api/stats</c>, the page and the metrics' <c>browser</c> label.</summary>
    public string Name => Browser is { } family ? family.Name() : SplitChecks.EveryBrowser;

    /// <summary>The false-alarm rate this check is flagged at: its weight of <see cref="SplitChecks.FamilyAlpha"/>.</summary>
    public double Alpha => SplitChecks.FamilyAlpha * Weight;
}

/// <summary>
/// Every false-alarm rate of the split checks, in one place: the page, <c>/api/stats</c>, the
/// metrics and (by a test that reads it) the alert rule in <c>deploy/prometheus/ball-alerts.yml</c>
/// take them from here, and <c>docs/stats.md</c> states them.
/// </summary>
/// <remarks>
/// <para><b>The split alert's family</b> is the check of every visitor assigned and one check per
/// browser family of the fixed list (<see cref="BrowserFamily"/>), each on the assigned counters,
/// which only grow. Weighted Bonferroni: a check with weight w is flagged at
/// <see cref="FamilyAlpha"/> · w, and the weights sum to 1, so on a healthy split the chance that
/// any check of the family ever alarms is at most 0.001, however often it is watched (each
/// anytime-valid check keeps its own alpha at every look). Half goes to the check of everyone:
/// it has the most visitors, so it finds a broken assignment soonest, and it is the one an
/// analyst reads first. The other half is shared equally by the seven families, which say where
/// a mismatch comes from (one browser's cookies, one browser's prefetching). Visitors whose
/// family was not recorded are in the check of everyone only.</para>
/// <para><b>Outside the family</b>, nothing pages: the remaining visitors, the ranges and
/// segments, the stages of the waterfall are each checked at 0.001 on their own
/// (<see cref="DescriptiveAlpha"/>), and a closed day's chi-square at 0.001 divided by the number
/// of closed days shown (<see cref="ClosedDayAlpha"/>).</para>
/// </remarks>
public static class SplitChecks
{
    /// <summary>The family's false-alarm rate.</summary>
    public const double FamilyAlpha = 0.001;

    /// <summary>The check of every visitor's share of <see cref="FamilyAlpha"/>.</summary>
    public const double EveryBrowserWeight = 1.0 / 2;

    /// <summary>Each browser family's share of <see cref="FamilyAlpha"/>: the other half, in seven.</summary>
    public const double BrowserFamilyWeight = 1.0 / 14;

    /// <summary>The alpha of a check that is no member of a family (descriptive: nothing pages on it).</summary>
    public const double DescriptiveAlpha = 0.001;

    /// <summary>The <c>browser</c> of the check of every visitor.</summary>
    public const string EveryBrowser = "all";

    /// <summary>The split alert's family, the check of everyone first, then the browser families in the enum's order.</summary>
    public static IReadOnlyList<SplitFamilyMember> Family { get; } =
        [new(null, EveryBrowserWeight), .. BrowserFamilyNames.All.Select(f => new SplitFamilyMember(f, BrowserFamilyWeight))];

    /// <summary>The family's check of every visitor assigned.</summary>
    public static SplitFamilyMember Everyone => Family[0];

    /// <summary>
    /// The chi-square's alpha on each closed day when <paramref name="closedDays"/> are shown:
    /// Bonferroni over the days tested. Today is not tested: it is not whole yet, and a test of
    /// one look re-run on a growing day at every refresh would alarm more often than it says.
    /// </summary>
    public static double ClosedDayAlpha(int closedDays) => DescriptiveAlpha / Math.Max(1, closedDays);

    /// <summary>The fraction as it is written on the page and in the docs ("1/2", "1/14").</summary>
    public static string WeightText(double weight) => string.Create(CultureInfo.InvariantCulture, $"1/{Math.Round(1 / weight):0}");
}
