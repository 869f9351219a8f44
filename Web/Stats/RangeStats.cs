using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>One UTC day: per color, the visitors first seen that day and the views counted that day.</summary>
public sealed record DayStats(DateOnly Day, ColorTotals Red, ColorTotals Blue)
{
    public ColorTotals Of(BallColor color) => color == BallColor.Red ? Red : Blue;
}

/// <summary>Visitors per color first seen on or before <see cref="Day"/> (and not erased).</summary>
public sealed record DayVisitors(DateOnly Day, long Red, long Blue);

/// <summary>
/// Visitors first seen in a range who fall in one segment (<see cref="Dimension"/> <c>browser</c>
/// with the family's name, or <c>visitor</c> with <c>new</c> or <c>returning</c>), per color:
/// how many, and their views so far.
/// </summary>
public sealed record SegmentStats(string Dimension, string Name, ColorTotals Red, ColorTotals Blue)
{
    public const string Browser = "browser";
    public const string VisitorType = "visitor";
    public const string New = "new";
    public const string Returning = "returning";

    /// <summary>The browser segment of visitors stored before the browser was recorded.</summary>
    public const string UnknownBrowser = "unknown";

    public ColorTotals Of(BallColor color) => color == BallColor.Red ? Red : Blue;
}

/// <summary>What the stats show for a range of days: the daily series, the running visitor count, and segments.</summary>
public sealed record RangeStats(
    DateOnly From,
    DateOnly To,
    IReadOnlyList<DayStats> Daily,
    IReadOnlyList<DayVisitors> Cumulative,
    ColorTotals FirstSeenRed,
    ColorTotals FirstSeenBlue,
    IReadOnlyList<SegmentStats> Segments,
    ErasureBooks Erased)
{
    /// <summary>A visitor is returning once seen again this long after their first visit: a later session, as web analytics count it.</summary>
    public static readonly TimeSpan ReturningAfter = TimeSpan.FromMinutes(30);

    /// <summary>Views per visitor of red's visitors first seen in the range and remaining: visitors, sum, sum of squares.</summary>
    public ArmSums RedViews { get; init; }

    /// <summary>The same of blue's.</summary>
    public ArmSums BlueViews { get; init; }

    public ColorTotals FirstSeen(BallColor color) => color == BallColor.Red ? FirstSeenRed : FirstSeenBlue;

    /// <summary>Assigned in the range: first seen in it, remaining or erased since.</summary>
    public ColorTotals AssignedInRange(BallColor color) => new(color,
        FirstSeen(color).Visitors + Erased.InRange(color).Visitors, FirstSeen(color).Views + Erased.InRange(color).Views);
}
