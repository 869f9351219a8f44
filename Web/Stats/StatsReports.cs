using BallOrleans.Grains.Bots;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Bots;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Stats;

/// <summary>One page of a visitor listing and the cursor of the next (null on the last page).</summary>
public sealed record VisitorPage(IReadOnlyList<VisitorRow> Rows, string? Next);

/// <summary>The stats of a range with their split checks: of everyone first seen in it, and within each segment.</summary>
/// <remarks><see cref="Srm"/> is of the visitors remaining; <see cref="AssignedSrm"/> adds those erased since.</remarks>
public sealed record RangeReport(RangeStats Stats, SrmResult Srm, IReadOnlyList<(SegmentStats Segment, SrmResult Srm)> Segments)
{
    public SrmResult AssignedSrm { get; init; } = Srm;
}

/// <summary>One check of the split alert's family, with the assigned visitors and views it was run on.</summary>
public sealed record FamilyCheck(SplitFamilyMember Member, ColorTotals Red, ColorTotals Blue, SrmResult Srm);

/// <summary>The façade the stats endpoints use: cached totals and ranges with their SRM checks, and visitor pages with cursors.</summary>
public sealed class StatsReports(
    StatsCache cache, RangeStatsCache ranges, VisitorStatsReader reader, IOptions<ColorWeightsOptions> weights, SplitCheckLatches latches)
{
    /// <summary>The population of the split alert's family, as latches and metrics name it.</summary>
    public const string AssignedPopulation = "assigned";

    /// <summary>The snapshot of the totals, and the split check of the visitors remaining (descriptive: no member of the alert's family).</summary>
    public async Task<(StatsSnapshot Snapshot, SrmResult Srm)> TotalsAsync()
    {
        var snapshot = await cache.GetAsync();
        return (snapshot, Srm(snapshot.Of(BallColor.Red).Visitors, snapshot.Of(BallColor.Blue).Visitors, SplitChecks.DescriptiveAlpha));
    }

    /// <summary>
    /// The split alert's family (<see cref="SplitChecks.Family"/>) on the assigned counters of
    /// <paramref name="snapshot"/>: every visitor, then each browser family, each at its weight.
    /// </summary>
    public IReadOnlyList<FamilyCheck> Family(StatsSnapshot snapshot) => [.. SplitChecks.Family.Select(member =>
    {
        ColorTotals Of(BallColor color) => member.Browser is { } family ? snapshot.AssignedOf(color, family) : snapshot.AssignedOf(color);
        var (red, blue) = (Of(BallColor.Red), Of(BallColor.Blue));
        return new FamilyCheck(member, red, blue, Srm(red.Visitors, blue.Visitors, member.Alpha));
    })];

    /// <summary>
    /// The split alert's family as <see cref="Family"/> computes it, latched: a check flagged now
    /// and not latched yet is stored as latched (its first crossing, with the snapshot's moment and
    /// counts), and a check latched before stays flagged, with its latch, whatever its statistic is now.
    /// </summary>
    public async Task<IReadOnlyList<FamilyCheck>> LatchedFamilyAsync(StatsSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        var family = Family(snapshot);
        var known = await latches.CurrentAsync(cancellationToken);
        var latched = new List<FamilyCheck>(family.Count);
        foreach (var check in family)
        {
            var sequential = check.Srm.Sequential!;
            var latch = known.GetValueOrDefault((AssignedPopulation, check.Member.Name));
            if (latch is null && sequential.Flagged)
            {
                latch = await latches.LatchAsync(new SplitCheckLatch(AssignedPopulation, check.Member.Name, snapshot.AsOf,
                    check.Red.Visitors, check.Blue.Visitors, sequential.LogBayesFactor, sequential.Alpha), cancellationToken);
            }

            latched.Add(latch is null ? check : check with { Srm = check.Srm with { Sequential = sequential with { Flagged = true, Latched = latch } } });
        }

        return latched;
    }

    public async Task<RangeReport> RangeAsync(StatsRange range)
    {
        var stats = await ranges.GetAsync(range.From, range.To);
        // Bonferroni over the segments: m sequential checks at alpha/m each keep the chance that
        // any of them ever alarms on a healthy split at most alpha, however they are watched.
        var segmentAlpha = SegmentAlpha(stats.Segments.Count);
        return new RangeReport(stats, Srm(stats.FirstSeenRed.Visitors, stats.FirstSeenBlue.Visitors, SplitChecks.DescriptiveAlpha),
            [.. stats.Segments.Select(s => (s, SegmentSrm(s.Red.Visitors, s.Blue.Visitors, segmentAlpha)))])
        {
            AssignedSrm = Srm(stats.AssignedInRange(BallColor.Red).Visitors, stats.AssignedInRange(BallColor.Blue).Visitors, SplitChecks.DescriptiveAlpha),
        };
    }

    /// <summary>The exposure waterfall of all time and of the range's days.</summary>
    public Waterfall Waterfall(StatsSnapshot snapshot, RangeReport report, BotCounts inMemory, DateOnly today) =>
        Stats.Waterfall.Build(snapshot, report.Stats, inMemory.Exposures, BotCountsPusher.Interval, today, Srm, ChiSquare);

    /// <summary>The sequential check's alpha for each of <paramref name="segments"/> segments (Bonferroni).</summary>
    public static double SegmentAlpha(int segments) => SequentialSampleRatio.Alpha / Math.Max(1, segments);

    /// <summary>Both tests at <paramref name="alpha"/>.</summary>
    public SrmResult Srm(long red, long blue, double alpha)
    {
        var w = weights.Value;
        return SampleRatioMismatch.Check(red, w.RedWeight, blue, w.BlueWeight, alpha);
    }

    /// <summary>The chi-square alone, at <paramref name="alpha"/> (a closed day).</summary>
    public SrmResult ChiSquare(long red, long blue, double alpha)
    {
        var w = weights.Value;
        return SampleRatioMismatch.ChiSquare(red, w.RedWeight, blue, w.BlueWeight, alpha);
    }

    // A segment's chi-square keeps 0.001 as it did; its sequential check is Bonferroni'd over the
    // segments shown (they change membership, which issue 27 deals with apart).
    private SrmResult SegmentSrm(long red, long blue, double sequentialAlpha)
    {
        var w = weights.Value;
        return SampleRatioMismatch.ChiSquare(red, w.RedWeight, blue, w.BlueWeight, SplitChecks.DescriptiveAlpha) with
        {
            Sequential = SequentialSampleRatio.Check(red, w.RedWeight, blue, w.BlueWeight, sequentialAlpha),
        };
    }

    public async Task<VisitorPage> PageAsync(VisitorQuery query, CancellationToken cancellationToken)
    {
        // One row more than asked says whether there is a next page without a count.
        var rows = await reader.PageAsync(query.Sort, query.Color, query.After, query.Limit + 1, cancellationToken);
        if (rows.Count <= query.Limit)
        {
            return new VisitorPage(rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        var key = await reader.CursorKeyAsync(cancellationToken);
        return new VisitorPage(rows, VisitorCursor.Encode(key, query.Sort, query.Color, rows[^1].PositionIn(query.Sort)));
    }
}
