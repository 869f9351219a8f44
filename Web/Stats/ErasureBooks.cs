using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>Visitors and views of one arm that erasures of one reason took out of the stats (the erasure ledger).</summary>
public sealed record ErasedCounts(BallColor Color, ErasureReason Reason, long Visitors, long Views);

/// <summary>
/// The erasure ledger (<c>ball_stats_erased</c>) over the days of a range, per arm: the visitors
/// first seen that day and the views counted that day that were erased since. Counts only. The
/// ledger of all time comes with the totals (<see cref="StatsSnapshot.Erased"/>), read with them.
/// </summary>
public sealed record ErasureBooks(IReadOnlyList<DayStats> Daily)
{
    public static readonly ErasureBooks None = new([]);

    /// <summary>The days of the range per arm and reason (only those with erasures).</summary>
    public IReadOnlyList<(DateOnly Day, ErasedCounts Counts)> DailyByReason { get; init; } = [];

    /// <summary>One day, one arm and reason.</summary>
    public ColorTotals On(DateOnly day, BallColor color, ErasureReason reason)
    {
        long visitors = 0, views = 0;
        foreach (var (d, counts) in DailyByReason)
        {
            if (d == day && counts.Color == color && counts.Reason == reason)
            {
                visitors += counts.Visitors;
                views += counts.Views;
            }
        }

        return new ColorTotals(color, visitors, views);
    }

    /// <summary>The days of the range, one arm: erased visitors first seen in it, and views counted in it.</summary>
    public ColorTotals InRange(BallColor color) =>
        new(color, Daily.Sum(d => d.Of(color).Visitors), Daily.Sum(d => d.Of(color).Views));

    /// <summary>One day of the range (none erased when the day is outside it).</summary>
    public DayStats On(DateOnly day) =>
        Daily.FirstOrDefault(d => d.Day == day) ?? new DayStats(day, new ColorTotals(BallColor.Red, 0, 0), new ColorTotals(BallColor.Blue, 0, 0));
}
