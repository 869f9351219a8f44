using System.Diagnostics;
using System.Net.Http.Json;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// Holds what visitors were told (a <see cref="VisitHistory"/>) against what PostgreSQL stored,
/// Jepsen-style: each invariant is counted over every visitor, not sampled.
/// </summary>
public static class HistoryChecker
{
    /// <summary>One property, how many visitors (or visits) break it, and the first example.</summary>
    public sealed record Invariant(string Name, int Broken, string? Example = null)
    {
        public bool Held => Broken == 0;

        public override string ToString() => Held ? $"{Name}: held" : $"{Name}: BROKEN {Broken}x, e.g. {Example}";
    }

    /// <summary>How long the stats may take to show what is stored.</summary>
    public static readonly TimeSpan StatsCatchUp = TimeSpan.FromSeconds(10);

    /// <summary>Every invariant, and how long the stats took to catch up.</summary>
    public sealed record Verdict(IReadOnlyList<Invariant> Invariants, TimeSpan StatsCaughtUpIn)
    {
        public void AssertHeld() => Assert.All(Invariants, invariant => Assert.True(invariant.Held, invariant.ToString()));

        public override string ToString() =>
            $"stats caught up in {StatsCaughtUpIn.TotalSeconds:F1} s, invariants {Invariants.Count(i => i.Held)}/{Invariants.Count} held" +
            string.Concat(Invariants.Where(i => !i.Held).Select(i => $"; {i}"));
    }

    /// <summary>
    /// All five invariants, once a load has stopped: <see cref="Check"/> against the views stored
    /// now, and <c>/api/stats</c> against them (polled for up to <see cref="StatsCatchUp"/>).
    /// </summary>
    public static async Task<Verdict> CheckAsync(
        VisitHistory history, string database, HttpClient stats, IReadOnlyDictionary<string, long>? before = null)
    {
        var after = await ClusterProbe.StoredViewsAsync(database);
        var (statsHeld, caughtUp) = await StatsMatchStorageAsync(stats, database, StatsCatchUp);
        return new Verdict([.. Check(history, before ?? new Dictionary<string, long>(), after), statsHeld], caughtUp);
    }

    /// <summary>
    /// The four invariants a history and the stored views must keep. <paramref name="before"/> is
    /// the stored views before the load began (other loads' visitors), <paramref name="after"/>
    /// once it has ended and settled.
    /// </summary>
    public static IReadOnlyList<Invariant> Check(
        VisitHistory history, IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
    {
        var acknowledgedStored = new Tally("every acknowledged view is stored");
        var shownOnce = new Tally("no count shown twice to one visitor");
        var neverDown = new Tally("counts never go down");
        var bounded = new Tally("stored count between acknowledged and attempted");
        var byVisitor = history.ByVisitor();
        foreach (var visits in byVisitor)
        {
            var id = visits.Key;
            var counted = visits.Where(v => v.Outcome == VisitorSaw.Counted).ToList();
            var stored = after.GetValueOrDefault(id);
            var highest = counted.Select(v => v.Count).DefaultIfEmpty(0).Max();
            acknowledgedStored.Expect(stored >= highest, $"{id} was shown {highest}, {stored} stored");

            var twice = counted.GroupBy(v => v.Count).FirstOrDefault(g => g.Count() > 1);
            shownOnce.Expect(twice is null, $"{id} was shown {twice?.Key} {twice?.Count()} times");

            var fell = FirstFall(counted);
            neverDown.Expect(fell is null, $"{id}: {fell}");

            var attempted = visits.Count(v => v.MayHaveCounted);
            bounded.Expect(counted.Count <= stored && stored <= attempted,
                $"{id}: {counted.Count} acknowledged, {attempted} attempted (of {visits.Count()}), {stored} stored");
        }

        // Rows no visitor of this history knows: newcomers whose answer was lost, at most one
        // each; and a row another load left must not have changed under this one.
        var strangers = after.Keys.Where(k => !before.ContainsKey(k) && !byVisitor.Contains(k)).Count();
        bounded.Expect(strangers <= history.UnconfirmedNewcomers,
            $"{strangers} stored visitors nobody was told of, {history.UnconfirmedNewcomers} newcomers' answers lost");
        var changed = before.Where(b => after.GetValueOrDefault(b.Key) != b.Value && !byVisitor.Contains(b.Key)).ToList();
        bounded.Expect(changed.Count == 0, $"{changed.Count} visitors of an earlier load changed, e.g. {changed.FirstOrDefault().Key}");

        return [acknowledgedStored.Result(), shownOnce.Result(), neverDown.Result(), bounded.Result()];
    }

    /// <summary>
    /// <c>/api/stats</c> equals the stored state once the stats catch up: polled until they agree
    /// or <paramref name="within"/> has passed.
    /// </summary>
    public static async Task<(Invariant Result, TimeSpan CaughtUpIn)> StatsMatchStorageAsync(
        HttpClient stats, string database, TimeSpan within)
    {
        var waited = Stopwatch.StartNew();
        string difference;
        do
        {
            var stored = await ClusterProbe.StoredTotalsAsync(database);
            var reported = await ReportedTotalsAsync(stats);
            difference = stored.SetEquals(reported) ? "" : $"stored {Describe(stored)}, /api/stats {Describe(reported)}";
            if (difference.Length == 0)
            {
                return (new Invariant("/api/stats equals the stored state", 0), waited.Elapsed);
            }

            await Task.Delay(250);
        }
        while (waited.Elapsed < within);

        return (new Invariant("/api/stats equals the stored state", 1, $"after {within.TotalSeconds:F0} s: {difference}"), waited.Elapsed);
    }

    private static async Task<HashSet<ClusterProbe.ColorTotal>> ReportedTotalsAsync(HttpClient stats)
    {
        using var response = await stats.GetAsync("/api/stats");
        if (!response.IsSuccessStatusCode)
        {
            return [];
        }

        var body = await response.Content.ReadFromJsonAsync<StatsBody>() ?? throw new InvalidOperationException("empty /api/stats");
        return [.. body.Colors.Where(c => c.Value.Visitors > 0).Select(c => new ClusterProbe.ColorTotal(c.Key, c.Value.Visitors, c.Value.Views))];
    }

    private static string Describe(HashSet<ClusterProbe.ColorTotal> totals) =>
        string.Join(" ", totals.OrderBy(t => t.Color).Select(t => $"{t.Color}={t.Visitors}/{t.Views}"));

    // Two visits of one visitor, the second begun after the first ended, that show a lower or equal count.
    private static string? FirstFall(List<Visit> counted)
    {
        var byEnd = counted.OrderBy(v => v.End).ToList();
        var ended = 0;
        Visit? highest = null;
        foreach (var visit in counted.OrderBy(v => v.Start))
        {
            for (; ended < byEnd.Count && byEnd[ended].End < visit.Start; ended++)
            {
                if (highest is null || byEnd[ended].Count > highest.Count)
                {
                    highest = byEnd[ended];
                }
            }

            if (highest is not null && visit.Count <= highest.Count)
            {
                return $"shown {highest.Count} (ended {highest.End.TotalSeconds:F2} s), then {visit.Count} (began {visit.Start.TotalSeconds:F2} s)";
            }
        }

        return null;
    }

    private sealed record StatsBody(Dictionary<string, ColorBody> Colors);

    private sealed record ColorBody(long Visitors, long Views);

    private sealed class Tally(string name)
    {
        private int _broken;
        private string? _example;

        public void Expect(bool held, string example)
        {
            if (!held)
            {
                _broken++;
                _example ??= example;
            }
        }

        public Invariant Result() => new(name, _broken, _example);
    }
}
