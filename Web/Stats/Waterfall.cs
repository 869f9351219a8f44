using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>One arm's figures at one stage: requests (a counted request is a view), and visitors where the stage has them.</summary>
public sealed record ArmFigures(long Requests, long? Visitors)
{
    public ArmFigures Minus(ArmFigures other) => new(Requests - other.Requests,
        Visitors is null && other.Visitors is null ? null : (Visitors ?? 0) - (other.Visitors ?? 0));
}

/// <summary>
/// One stage of the exposure waterfall (<see cref="Stage"/> one of the constants of
/// <see cref="Waterfall"/>, with its <see cref="Reason"/> where it has several). <see cref="Exact"/>
/// is false for counts kept in memory. <see cref="Srm"/> is its split check, where one applies.
/// </summary>
public sealed record WaterfallStage(string Stage, string? Reason, bool Exact, ArmFigures Red, ArmFigures Blue, SrmResult? Srm)
{
    public ArmFigures Of(BallColor arm) => arm == BallColor.Red ? Red : Blue;
}

/// <summary>
/// The waterfall of all time (<see cref="Day"/> null) or of one UTC day. A day that has ended
/// (<see cref="Closed"/>) has the chi-square of the visitors assigned on it (<see cref="Srm"/>:
/// first seen that day, remaining or erased since); today has none.
/// </summary>
public sealed record WaterfallSlice(DateOnly? Day, IReadOnlyList<WaterfallStage> Stages)
{
    public bool Closed { get; init; }

    public SrmResult? Srm { get; init; }

    public WaterfallStage Stage(string stage, string? reason = null) => Stages.Single(s => s.Stage == stage && s.Reason == reason);
}

/// <summary>
/// The exposure waterfall, in two parts that are each counted on their own and checked by a
/// residual that must be 0:
/// <list type="bullet">
/// <item>in memory, per web process since it started (approximate): the requests <c>shown</c> a
/// ball (counted where the page renders it), those <c>counted</c>, and those <c>notCounted</c> by
/// reason; residual <c>inMemory</c> = shown - counted - not counted. The memos (<c>reassigned</c>)
/// say which counted requests came with a cookie that named nobody stored or did not verify.</item>
/// <item>stored, all time (exact): the visitors and views ever <c>assigned</c> (counters that no
/// erasure moves), those <c>erased</c> by reason, and those <c>remaining</c>; residual
/// <c>stored</c> = assigned - erased - remaining, all three from one statement.</item>
/// </list>
/// The two parts are not joined: the stored figures are all time, the in-memory ones since each
/// process started. A day has the in-memory part and what remains and was erased of it (there
/// are no assigned counters per day, so no stored residual).
/// </summary>
public sealed record Waterfall(WaterfallSlice AllTime, IReadOnlyList<WaterfallSlice> Days, TimeSpan FlushInterval)
{
    public const string Shown = "shown";
    public const string Counted = "counted";
    public const string NotCounted = "notCounted";
    public const string Residual = "residual";
    public const string Reassigned = "reassigned";
    public const string Assigned = "assigned";
    public const string Erased = "erased";
    public const string Remaining = "remaining";

    /// <summary>The residual's reasons: shown - counted - not counted, and assigned - erased - remaining.</summary>
    public const string InMemory = "inMemory";
    public const string Stored = "stored";

    /// <summary>
    /// Builds the stages. <paramref name="check"/> is the split check of red and blue visitors (or
    /// requests) at an alpha, <paramref name="chiSquare"/> the chi-square alone (closed days).
    /// "Assigned" gets the family's check of every visitor (<see cref="SplitChecks"/>); remaining,
    /// erased and the new-visitor limit's requests (each a fresh assignment) a descriptive one;
    /// other request stages none: one visitor's requests all carry one arm.
    /// </summary>
    public static Waterfall Build(
        StatsSnapshot snapshot, RangeStats range, IReadOnlyDictionary<ExposureKey, long> exposures, TimeSpan flushInterval, DateOnly today,
        Func<long, long, double, SrmResult> check, Func<long, long, double, SrmResult> chiSquare)
    {
        var allTime = new WaterfallSlice(null, [
            .. InMemoryStages(exposures, check, day: null),
            .. StoredStages(snapshot, check)]);

        var closedDays = range.Daily.Count(d => d.Day < today);
        var dayAlpha = SplitChecks.ClosedDayAlpha(closedDays);
        var days = range.Daily.Select(d =>
        {
            var erased = ErasureReasons.All.Select(r => new WaterfallStage(Erased, r.Name(), true,
                Figures(range.Erased.On(d.Day, BallColor.Red, r)), Figures(range.Erased.On(d.Day, BallColor.Blue, r)), null)).ToList();
            var remaining = new WaterfallStage(Remaining, null, true, Figures(d.Red), Figures(d.Blue), null);
            var closed = d.Day < today;
            return new WaterfallSlice(d.Day, [.. InMemoryStages(exposures, check: null, d.Day), .. erased, remaining])
            {
                Closed = closed,
                // The visitors assigned that day: those remaining plus those erased since; an
                // erasure that favours one arm does not skew them.
                Srm = closed ? chiSquare(AssignedOn(d, range, BallColor.Red), AssignedOn(d, range, BallColor.Blue), dayAlpha) : null,
            };
        }).ToList();
        return new Waterfall(allTime, days, flushInterval);
    }

    private static long AssignedOn(DayStats day, RangeStats range, BallColor color) =>
        day.Of(color).Visitors + range.Erased.On(day.Day).Of(color).Visitors;

    private static List<WaterfallStage> InMemoryStages(
        IReadOnlyDictionary<ExposureKey, long> exposures, Func<long, long, double, SrmResult>? check, DateOnly? day)
    {
        long Sum(Func<ExposureKey, bool> which)
        {
            long sum = 0;
            foreach (var (key, requests) in exposures)
            {
                if ((day is null || key.Day == day) && which(key))
                {
                    sum += requests;
                }
            }

            return sum;
        }

        WaterfallStage Requests(string stage, string? reason, Func<BallColor, long> of, bool checkRequests = false)
        {
            var (red, blue) = (of(BallColor.Red), of(BallColor.Blue));
            return new WaterfallStage(stage, reason, false, new ArmFigures(red, null), new ArmFigures(blue, null),
                checkRequests && check is not null ? check(red, blue, SplitChecks.DescriptiveAlpha) : null);
        }

        long Bucket(ExposureReason reason, BallColor arm) => Sum(k => k.Reason == reason && k.Arm == arm);

        var shown = Requests(Shown, null, arm => Sum(k => k.Shown == arm));
        var counted = Requests(Counted, null, arm => Bucket(ExposureReason.Counted, arm));
        var notCounted = ExposureReasons.NotCounted
            .Select(r => Requests(NotCounted, r.Name(), arm => Bucket(r, arm), checkRequests: r.ShowsFreshAssignment())).ToList();
        // Every ball shown is put in exactly one bucket of its arm: anything else is left over here.
        var residual = Requests(Residual, InMemory, arm => shown.Of(arm).Requests - counted.Of(arm).Requests - notCounted.Sum(s => s.Of(arm).Requests));
        var memos = ExposureReasons.Memos.Select(r => Requests(Reassigned, r.Name(), arm => Bucket(r, arm))).ToList();
        return [shown, counted, .. notCounted, residual, .. memos];
    }

    private static List<WaterfallStage> StoredStages(StatsSnapshot snapshot, Func<long, long, double, SrmResult> check)
    {
        WaterfallStage Stage(string stage, string? reason, Func<BallColor, ColorTotals> of, double? alpha)
        {
            var (red, blue) = (Figures(of(BallColor.Red)), Figures(of(BallColor.Blue)));
            return new WaterfallStage(stage, reason, true, red, blue, alpha is { } a ? check(red.Visitors ?? 0, blue.Visitors ?? 0, a) : null);
        }

        var assigned = Stage(Assigned, null, snapshot.AssignedOf, SplitChecks.Everyone.Alpha);
        var erased = ErasureReasons.All.Select(r => Stage(Erased, r.Name(), c => snapshot.ErasedOf(c, r), SplitChecks.DescriptiveAlpha)).ToList();
        var remaining = Stage(Remaining, null, snapshot.Of, SplitChecks.DescriptiveAlpha);
        // Counted apart and read together: 0 unless a write moved one without the others.
        ArmFigures Left(BallColor arm) => erased.Aggregate(assigned.Of(arm), (left, s) => left.Minus(s.Of(arm))).Minus(remaining.Of(arm));
        var residual = new WaterfallStage(Residual, Stored, true, Left(BallColor.Red), Left(BallColor.Blue), null);
        return [assigned, .. erased, remaining, residual];
    }

    private static ArmFigures Figures(ColorTotals totals) => new(totals.Views, totals.Visitors);
}
