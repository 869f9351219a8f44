using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>One arm's figures at one stage: requests (a counted request is a view), and visitors where the stage has them.</summary>
public sealed record ArmFigures(long Requests, long? Visitors)
{
    public static readonly ArmFigures Zero = new(0, null);

    public ArmFigures Plus(ArmFigures other) => new(Requests + other.Requests,
        Visitors is null && other.Visitors is null ? null : (Visitors ?? 0) + (other.Visitors ?? 0));

    public ArmFigures Minus(ArmFigures other) => new(Requests - other.Requests,
        Visitors is null && other.Visitors is null ? null : (Visitors ?? 0) - (other.Visitors ?? 0));
}

/// <summary>
/// One stage of the exposure waterfall: <see cref="Stage"/> is <c>shown</c>, <c>notCounted</c>,
/// <c>counted</c>, <c>erased</c>, <c>remaining</c>, or the memo <c>reassigned</c> (counted, as a
/// new visitor; not subtracted). <see cref="Exact"/> is false for counts kept in memory.
/// <see cref="None"/> holds requests shown no ball of either arm.
/// </summary>
public sealed record WaterfallStage(string Stage, string? Reason, bool Exact, ArmFigures Red, ArmFigures Blue, ArmFigures None, SrmResult? Srm)
{
    public ArmFigures Of(BallColor? arm) => arm switch { BallColor.Red => Red, BallColor.Blue => Blue, _ => None };
}

/// <summary>The waterfall of all time (<see cref="Day"/> null) or of one UTC day.</summary>
public sealed record WaterfallSlice(DateOnly? Day, IReadOnlyList<WaterfallStage> Stages);

/// <summary>
/// The exposure waterfall: requests shown the ball, minus those not counted (by reason) give the
/// counted views and visitors, minus the erased (by reason) give those remaining. Stored stages
/// are exact; the not-counted ones are each web process's in-memory counts since it started,
/// pushed every <see cref="FlushInterval"/>, so <c>shown</c> is approximate too.
/// </summary>
public sealed record Waterfall(WaterfallSlice AllTime, IReadOnlyList<WaterfallSlice> Days, TimeSpan FlushInterval)
{
    public const string Shown = "shown";
    public const string NotCounted = "notCounted";
    public const string Counted = "counted";
    public const string Erased = "erased";
    public const string Remaining = "remaining";
    public const string Reassigned = "reassigned";

    /// <summary>
    /// Builds the stages from the stored figures and the in-memory counters. <paramref name="check"/>
    /// is the split check of red and blue visitors (or requests) at a sequential alpha; every stage
    /// with visitors gets one, and so do the new-visitor limits (each of their requests is a fresh
    /// assignment). Other request stages get none: one visitor's requests all carry one arm.
    /// </summary>
    public static Waterfall Build(
        StatsSnapshot snapshot, RangeStats range, IReadOnlyDictionary<ExposureKey, long> exposures, TimeSpan flushInterval,
        Func<long, long, double, SrmResult> check)
    {
        var allTime = Slice(null,
            color => new ArmFigures(snapshot.Of(color).Views, snapshot.Of(color).Visitors),
            (color, reason) => Figures(range.Erased.Of(color, reason)),
            (reason, arm) => exposures.Where(e => e.Key.Reason == reason && e.Key.Arm == arm).Sum(e => e.Value),
            check, SequentialSampleRatio.Alpha);

        // Bonferroni over the days shown: each day's checks at alpha / days.
        var dayAlpha = SequentialSampleRatio.Alpha / Math.Max(1, range.Daily.Count);
        var days = range.Daily.Select(d => Slice(d.Day,
            color => new ArmFigures(d.Of(color).Views, d.Of(color).Visitors),
            (color, reason) => Figures(range.Erased.On(d.Day, color, reason)),
            (reason, arm) => exposures.GetValueOrDefault(new ExposureKey(d.Day, reason, arm)),
            check, dayAlpha)).ToList();
        return new Waterfall(allTime, days, flushInterval);
    }

    private static WaterfallSlice Slice(
        DateOnly? day, Func<BallColor, ArmFigures> remaining, Func<BallColor, ErasureReason, ArmFigures> erased,
        Func<ExposureReason, BallColor?, long> inMemory, Func<long, long, double, SrmResult> check, double alpha)
    {
        WaterfallStage Stage(string stage, string? reason, bool exact, Func<BallColor?, ArmFigures> of, bool checkRequests = false)
        {
            var (red, blue) = (of(BallColor.Red), of(BallColor.Blue));
            SrmResult? srm = red.Visitors is { } r && blue.Visitors is { } b ? check(r, b, alpha)
                : checkRequests ? check(red.Requests, blue.Requests, alpha) : null;
            return new WaterfallStage(stage, reason, exact, red, blue, of(null), srm);
        }

        var erasedStages = ErasureReasons.All
            .Select(r => Stage(Erased, r.Name(), true, arm => arm is { } c ? erased(c, r) : ArmFigures.Zero)).ToList();
        var remainingStage = Stage(Remaining, null, true, arm => arm is { } c ? remaining(c) : ArmFigures.Zero);
        var counted = Stage(Counted, null, true, arm => erasedStages.Aggregate(remainingStage.Of(arm), (sum, s) => sum.Plus(s.Of(arm))));
        var notCounted = ExposureReasons.NotCounted
            .Select(r => Stage(NotCounted, r.Name(), false, arm => new ArmFigures(inMemory(r, arm), null), r.ShowsFreshAssignment())).ToList();
        var shown = Stage(Shown, null, false,
            arm => new ArmFigures(counted.Of(arm).Requests + notCounted.Sum(s => s.Of(arm).Requests), null));
        var reassigned = ExposureReasons.Reassigned
            .Select(r => Stage(Reassigned, r.Name(), false, arm => new ArmFigures(inMemory(r, arm), null))).ToList();
        return new WaterfallSlice(day, [shown, .. notCounted, counted, .. erasedStages, remainingStage, .. reassigned]);
    }

    private static ArmFigures Figures(ColorTotals totals) => new(totals.Views, totals.Visitors);
}
