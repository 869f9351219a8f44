using BallOrleans.Grains.Visitors;

namespace BallOrleans.Grains.Stats;

/// <summary>Visitors and views of one color.</summary>
[GenerateSerializer, Immutable, Alias("ball.ColorTotals")]
public sealed record ColorTotals([property: Id(0)] BallColor Color, [property: Id(1)] long Visitors, [property: Id(2)] long Views);

/// <summary>Views counted in one minute for one color.</summary>
[GenerateSerializer, Immutable, Alias("ball.MinuteVisits")]
public sealed record MinuteVisits([property: Id(0)] DateTimeOffset Minute, [property: Id(1)] BallColor Color, [property: Id(2)] long Visits);

/// <summary>What the report knows at one moment: totals per color and the recent visits per minute.</summary>
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

    public ColorTotals Of(BallColor color) =>
        Colors.FirstOrDefault(c => c.Color == color) ?? new ColorTotals(color, 0, 0);
}
