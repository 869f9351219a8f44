using Xunit.Abstractions;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// The numbers a failure test prints: visits, errors by kind (<see cref="VisitorSaw"/>), and
/// how long visitors waited.
/// </summary>
public sealed record Figures(int Visits, int NotCounted, int Unknown, int Failures, TimeSpan Slowest, TimeSpan Recovery)
{
    /// <summary>503s, either kind.</summary>
    public int Unavailable => NotCounted + Unknown;

    /// <summary>
    /// Figures of a history; <see cref="Recovery"/> is how long after <paramref name="incident"/>
    /// the last slow answer (over half a second) or error ended: the time visitors noticed anything at all.
    /// </summary>
    public static Figures Of(VisitHistory history, TimeSpan incident)
    {
        var visits = history.Visits.ToList();
        var slowEnds = visits.Where(v => v.Took > TimeSpan.FromMilliseconds(500) || v.IsError)
            .Select(v => v.End - incident)
            .Where(t => t > TimeSpan.Zero)
            .DefaultIfEmpty(TimeSpan.Zero)
            .Max();
        return new Figures(
            visits.Count,
            visits.Count(v => v.Outcome == VisitorSaw.NotCounted),
            visits.Count(v => v.Outcome == VisitorSaw.Unknown),
            visits.Count(v => v.Outcome is VisitorSaw.Failed or VisitorSaw.NoAnswer),
            visits.Select(v => v.Took).DefaultIfEmpty().Max(),
            slowEnds);
    }

    /// <summary>The median time of the visits that began between <paramref name="from"/> and <paramref name="to"/>.</summary>
    public static TimeSpan MedianTook(VisitHistory history, TimeSpan from, TimeSpan to)
    {
        var took = history.Visits.Where(v => v.Start >= from && v.Start < to).Select(v => v.Took).Order().ToList();
        return took.Count == 0 ? TimeSpan.Zero : took[took.Count / 2];
    }


    public override string ToString() =>
        $"visits={Visits} errors: not-counted={NotCounted} unknown={Unknown} failed-or-no-answer={Failures}; " +
        $"slowest={Slowest.TotalMilliseconds:F0} ms recovery={Recovery.TotalSeconds:F1} s";
}
