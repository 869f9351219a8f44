using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>Visitors and views of one arm that erasures of one reason took out of the stats (the erasure ledger).</summary>
public sealed record ErasedCounts(BallColor Color, ErasureReason Reason, long Visitors, long Views);

/// <summary>
/// The erasure ledger (<c>ball_stats_erased</c>) as the stats read it: every erasure ever, per arm
/// and reason, and the days of a range, per arm: the visitors first seen that day and the views
/// counted that day that were erased since. Counts only.
/// </summary>
public sealed record ErasureBooks(IReadOnlyList<ErasedCounts> AllTime, IReadOnlyList<DayStats> Daily)
{
    public static readonly ErasureBooks None = new([], []);

    /// <summary>The days of the range per arm and reason (only those with erasures).</summary>
    public IReadOnlyList<(DateOnly Day, ErasedCounts Counts)> DailyByReason { get; init; } = [];

    /// <summary>One day, one arm and reason.</summary>
    public ColorTotals On(DateOnly day, BallColor color, ErasureReason reason) =>
        Sum(DailyByReason.Where(e => e.Day == day && e.Counts.Color == color && e.Counts.Reason == reason).Select(e => e.Counts), color);

    /// <summary>All time, one arm, every reason.</summary>
    public ColorTotals Of(BallColor color) => Sum(AllTime.Where(e => e.Color == color), color);

    /// <summary>All time, one arm and reason.</summary>
    public ColorTotals Of(BallColor color, ErasureReason reason) => Sum(AllTime.Where(e => e.Color == color && e.Reason == reason), color);

    /// <summary>The days of the range, one arm: erased visitors first seen in it, and views counted in it.</summary>
    public ColorTotals InRange(BallColor color) =>
        new(color, Daily.Sum(d => d.Of(color).Visitors), Daily.Sum(d => d.Of(color).Views));

    /// <summary>One day of the range (none erased when the day is outside it).</summary>
    public DayStats On(DateOnly day) =>
        Daily.FirstOrDefault(d => d.Day == day) ?? new DayStats(day, new ColorTotals(BallColor.Red, 0, 0), new ColorTotals(BallColor.Blue, 0, 0));

    private static ColorTotals Sum(IEnumerable<ErasedCounts> counts, BallColor color)
    {
        long visitors = 0, views = 0;
        foreach (var c in counts)
        {
            visitors += c.Visitors;
            views += c.Views;
        }

        return new ColorTotals(color, visitors, views);
    }
}
