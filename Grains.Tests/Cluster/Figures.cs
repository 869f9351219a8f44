using Xunit.Abstractions;

namespace BallOrleans.Tests.Cluster;

/// <summary>The numbers a failure test prints: visits answered, failures, and how long visitors waited.</summary>
public sealed record Figures(int Visits, int Failures, int Unavailable, TimeSpan Slowest, TimeSpan Recovery)
{
    /// <summary>
    /// Figures of a load; <see cref="Recovery"/> is how long after <paramref name="incident"/> the
    /// last slow answer (over half a second) ended: the time visitors noticed anything at all.
    /// </summary>
    public static Figures Of(VisitLoad load, TimeSpan incident)
    {
        var answers = load.Answers.ToList();
        var slowEnds = answers.Where(a => a.Took > TimeSpan.FromMilliseconds(500) || a.Status != 200)
            .Select(a => a.At + a.Took - incident)
            .Where(t => t > TimeSpan.Zero)
            .DefaultIfEmpty(TimeSpan.Zero)
            .Max();
        return new Figures(
            answers.Count(a => a.Status == 200),
            answers.Count(a => a.Status is not 200 and not 503),
            answers.Count(a => a.Status == 503),
            answers.Select(a => a.Took).DefaultIfEmpty().Max(),
            slowEnds);
    }

    /// <summary>Prints a test's figures to its output and to the console, where CI logs show them.</summary>
    public static void Report(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        Console.WriteLine($"[figures] {line}");
    }

    public override string ToString() =>
        $"visits={Visits} failures={Failures} unavailable(503)={Unavailable} slowest={Slowest.TotalMilliseconds:F0} ms recovery={Recovery.TotalSeconds:F1} s";
}
