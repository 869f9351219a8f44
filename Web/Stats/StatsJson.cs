using BallOrleans.Grains.Bots;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Bots;

namespace BallOrleans.Web.Stats;

/// <summary>Visitors and views of one color in <c>GET /api/stats</c>.</summary>
public sealed record ColorJson(long Visitors, long Views);

/// <summary>
/// The sample-ratio-mismatch check in <c>GET /api/stats</c>: chi-square, flagged when p &lt; <c>alpha</c>,
/// and the anytime-valid check under <c>sequential</c> (null where there is none: a closed day).
/// </summary>
public sealed record SrmJson(double ChiSquare, double PValue, bool Flagged, double Alpha, SequentialSrmJson? Sequential)
{
    public static SrmJson From(SrmResult srm) => new(srm.ChiSquare, srm.PValue, srm.Flagged, srm.Alpha,
        srm.Sequential is { } s ? new SequentialSrmJson(s.LogBayesFactor, s.PValue, s.Flagged, s.Alpha, LatchJson.From(s.Latched)) : null);
}

/// <summary>
/// The anytime-valid split check: the log Bayes factor of the Dirichlet-multinomial mixture, its
/// p-value, flagged (when p &lt; <c>alpha</c>, or latched since it once was), and the latch:
/// the stored first crossing (the split alert's family only; null until one).
/// </summary>
public sealed record SequentialSrmJson(double LogBayesFactor, double PValue, bool Flagged, double Alpha, LatchJson? Latched = null);

/// <summary>The first crossing of a check of the split alert's family: when, the assigned visitors per color, the log Bayes factor and the alpha.</summary>
public sealed record LatchJson(DateTimeOffset At, long Red, long Blue, double LogBayesFactor, double Alpha)
{
    public static LatchJson? From(SplitCheckLatch? latch) =>
        latch is null ? null : new(latch.FlaggedAt, latch.RedVisitors, latch.BlueVisitors, latch.LogBayesFactor, latch.Alpha);
}

/// <summary>One check of the split alert's family: <c>browser</c> <c>all</c> or a family, its weight of the family's alpha and the alpha that gives, the assigned visitors and views it ran on.</summary>
public sealed record FamilyCheckJson(string Browser, double Weight, double Alpha, ColorJson Red, ColorJson Blue, SrmJson Srm)
{
    public static FamilyCheckJson From(FamilyCheck check) => new(check.Member.Name, check.Member.Weight, check.Member.Alpha,
        new ColorJson(check.Red.Visitors, check.Red.Views), new ColorJson(check.Blue.Visitors, check.Blue.Views), SrmJson.From(check.Srm));
}

/// <summary>The split alert's family: its alpha, and each check with its weight (Bonferroni: the weights sum to 1).</summary>
public sealed record SplitFamilyJson(double Alpha, IReadOnlyList<FamilyCheckJson> Checks);

/// <summary>One bot family in <c>GET /api/stats</c>: requests excluded since start-up.</summary>
public sealed record BotFamilyJson(string Family, long Requests);

/// <summary>Requests excluded as bots since start-up, summed over web processes: the total and the top families.</summary>
public sealed record BotsJson(long Total, IReadOnlyList<BotFamilyJson> Top)
{
    public static BotsJson From(BotCounts counts) =>
        new(counts.Total, [.. counts.Top(BotFigures.TopFamilies).Select(f => new BotFamilyJson(f.Key, f.Value))]);
}

/// <summary>One day of <c>GET /api/stats</c>: per color, visitors first seen that day and views counted that day.</summary>
public sealed record DayColorJson(long NewVisitors, long Views);

/// <summary>One day in <c>daily</c>: what remains, and what erasures took from that day since (visitors first seen that day, views counted that day).</summary>
public sealed record DayJson(DateOnly Day, DayColorJson Red, DayColorJson Blue, ErasedDayJson Erased);

/// <summary>Erased from one day, per color.</summary>
public sealed record ErasedDayJson(ColorJson Red, ColorJson Blue);

/// <summary>One color's erasures, all time: in all and per reason (<c>forget</c>, <c>retention</c>, <c>admin</c>).</summary>
public sealed record ErasedColorJson(long Visitors, long Views, Dictionary<string, ColorJson> Reasons);

/// <summary>
/// The split checks of every visitor: of everyone assigned (the family's check of every browser),
/// of those remaining (descriptive, at 0.001, paging nobody), and the alert's whole family.
/// </summary>
public sealed record SplitChecksJson(SrmJson Assigned, SrmJson Remaining, SplitFamilyJson Family);

/// <summary>One day in <c>cumulative</c>: visitors per color first seen on or before it.</summary>
public sealed record CumulativeJson(DateOnly Day, long Red, long Blue);

/// <summary>One segment in <c>segments</c>: visitors first seen in the range, per color, with the split check within it.</summary>
public sealed record SegmentJson(string Dimension, string Segment, ColorJson Red, ColorJson Blue, SrmJson Srm);

/// <summary>The range of <c>GET /api/stats</c> and the visitors first seen in it, with their split check.</summary>
/// <remarks><c>srm</c> is of the visitors remaining; <c>assignedSrm</c> adds those erased since.</remarks>
public sealed record RangeJson(DateOnly From, DateOnly To, ColorJson Red, ColorJson Blue, SrmJson Srm, SrmJson AssignedSrm);

/// <summary>
/// The body of <c>GET /api/stats</c>: all-time totals first (of the visitors remaining; <c>srm</c>
/// is their split check), then the erasures and the split checks, then the range's series and segments.
/// </summary>
public sealed record StatsJson(
    long Visitors, long Views, Dictionary<string, ColorJson> Colors, SrmJson Srm, BotsJson Bots, DateTimeOffset AsOf,
    Dictionary<string, ErasedColorJson> Erased, SplitChecksJson SplitChecks, ResultsJson Results, WaterfallJson Waterfall,
    RangeJson Range, IReadOnlyList<DayJson> Daily, IReadOnlyList<CumulativeJson> Cumulative, IReadOnlyList<SegmentJson> Segments)
{
    public static StatsJson From(
        StatsSnapshot snapshot, SrmResult srm, IReadOnlyList<FamilyCheck> family, BotCounts bots, RangeReport range, Waterfall waterfall) => new(
        snapshot.Visitors,
        snapshot.Views,
        BallColors.All.ToDictionary(c => c.Name(), c => new ColorJson(snapshot.Of(c).Visitors, snapshot.Of(c).Views)),
        Json(srm),
        BotsJson.From(bots),
        snapshot.AsOf,
        BallColors.All.ToDictionary(c => c.Name(), c => new ErasedColorJson(
            snapshot.ErasedOf(c).Visitors, snapshot.ErasedOf(c).Views,
            ErasureReasons.All.ToDictionary(r => r.Name(), r => Json(snapshot.ErasedOf(c, r))))),
        new SplitChecksJson(Json(family.First(f => f.Member.Browser is null).Srm), Json(srm), new SplitFamilyJson(Stats.SplitChecks.FamilyAlpha, [.. family.Select(FamilyCheckJson.From)])),
        ResultsJson.Of(EffectResults.Of(range.Stats)),
        WaterfallJson.From(waterfall),
        new RangeJson(range.Stats.From, range.Stats.To, Json(range.Stats.FirstSeenRed), Json(range.Stats.FirstSeenBlue), Json(range.Srm), Json(range.AssignedSrm)),
        [.. range.Stats.Daily.Select(d => new DayJson(d.Day, new(d.Red.Visitors, d.Red.Views), new(d.Blue.Visitors, d.Blue.Views),
            new ErasedDayJson(Json(range.Stats.Erased.On(d.Day).Red), Json(range.Stats.Erased.On(d.Day).Blue))))],
        [.. range.Stats.Cumulative.Select(d => new CumulativeJson(d.Day, d.Red, d.Blue))],
        [.. range.Segments.Select(s => new SegmentJson(s.Segment.Dimension, s.Segment.Name, Json(s.Segment.Red), Json(s.Segment.Blue), Json(s.Srm)))]);

    private static SrmJson Json(SrmResult srm) => SrmJson.From(srm);

    private static ColorJson Json(ColorTotals totals) => new(totals.Visitors, totals.Views);
}

/// <summary>One visitor in <c>GET /api/visitors</c>: the pseudonymous id, never the cookie.</summary>
public sealed record VisitorJson(
    string Id, string Color, long RedViews, long BlueViews, long Views, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)
{
    public static VisitorJson From(VisitorRow row) =>
        new(row.Id, row.Color.Name(), row.RedViews, row.BlueViews, row.Views, row.FirstSeen, row.LastSeen);
}

/// <summary>The body of <c>GET /api/visitors</c>.</summary>
public sealed record VisitorPageJson(IReadOnlyList<VisitorJson> Items, string? Next);
