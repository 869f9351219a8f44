using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Grains.Stats;

/// <summary>Visitors and views of one color.</summary>
[GenerateSerializer, Immutable, Alias("ball.ColorTotals")]
public sealed record ColorTotals([property: Id(0)] BallColor Color, [property: Id(1)] long Visitors, [property: Id(2)] long Views);

/// <summary>Views counted in one minute for one color.</summary>
[GenerateSerializer, Immutable, Alias("ball.MinuteVisits")]
public sealed record MinuteVisits([property: Id(0)] DateTimeOffset Minute, [property: Id(1)] BallColor Color, [property: Id(2)] long Visits);

/// <summary>
/// Visitors ever stored under one color whose first visit was in one browser family (null: not
/// recorded), and the views of that color ever counted for them: never taken back by an erasure
/// (<c>ball_stats_assigned</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("ball.AssignedTotals")]
public sealed record AssignedTotals(
    [property: Id(0)] BallColor Color, [property: Id(1)] BrowserFamily? Browser, [property: Id(2)] long Visitors, [property: Id(3)] long Views);

/// <summary>Visitors and views of one color that erasures of one reason took out, all time (<c>ball_stats_erased</c>).</summary>
[GenerateSerializer, Immutable, Alias("ball.ErasedTotals")]
public sealed record ErasedTotals(
    [property: Id(0)] BallColor Color, [property: Id(1)] ErasureReason Reason, [property: Id(2)] long Visitors, [property: Id(3)] long Views);

/// <summary>
/// What the report knows at one moment: totals per color and the recent visits per minute, and
/// (<see cref="Assigned"/>, <see cref="Erased"/>) the assigned counters and the erasure ledger of
/// all time, read in the same statement as the totals, so that assigned - remaining - erased is
/// taken from one snapshot of the database.
/// </summary>
[GenerateSerializer, Immutable, Alias("ball.StatsSnapshot")]
public sealed record StatsSnapshot(
    [property: Id(0)] ColorTotals[] Colors,
    [property: Id(1)] MinuteVisits[] Minutes,
    [property: Id(2)] DateTimeOffset AsOf)
{
    /// <summary>How many minutes of visits a snapshot carries (the chart's width).</summary>
    public const int MinutesShown = 60;

    public long Visitors => Colors.Sum(c => c.Visitors);

    public long Views => Colors.Sum(c => c.Views);

    /// <summary>Per color and browser family, every visitor ever stored and every view ever counted.</summary>
    [Id(3)]
    public AssignedTotals[] Assigned { get; init; } = [];

    /// <summary>Per color and reason, what erasures took out, all time.</summary>
    [Id(4)]
    public ErasedTotals[] Erased { get; init; } = [];

    public ColorTotals Of(BallColor color) =>
        Colors.FirstOrDefault(c => c.Color == color) ?? new ColorTotals(color, 0, 0);

    /// <summary>Assigned under <paramref name="color"/>, every browser family.</summary>
    public ColorTotals AssignedOf(BallColor color) =>
        Sum(color, Assigned.Where(a => a.Color == color).Select(a => (a.Visitors, a.Views)));

    /// <summary>Assigned under <paramref name="color"/> whose first visit was in <paramref name="browser"/> (null: not recorded).</summary>
    public ColorTotals AssignedOf(BallColor color, BrowserFamily? browser) =>
        Sum(color, Assigned.Where(a => a.Color == color && a.Browser == browser).Select(a => (a.Visitors, a.Views)));

    /// <summary>Erased from <paramref name="color"/>: for every reason, or for one.</summary>
    public ColorTotals ErasedOf(BallColor color, ErasureReason? reason = null) =>
        Sum(color, Erased.Where(e => e.Color == color && (reason is null || e.Reason == reason)).Select(e => (e.Visitors, e.Views)));

    private static ColorTotals Sum(BallColor color, IEnumerable<(long Visitors, long Views)> rows)
    {
        long visitors = 0, views = 0;
        foreach (var (v, w) in rows)
        {
            visitors += v;
            views += w;
        }

        return new ColorTotals(color, visitors, views);
    }
}
