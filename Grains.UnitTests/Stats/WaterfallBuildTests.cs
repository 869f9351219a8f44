using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Stats;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// How the waterfall is built from its counters: the two residuals are computed from figures
/// counted apart (so each can be other than 0), and the split checks carry the alphas fixed for
/// them (the family's share for assigned, 0.001 outside it, 0.001 over the closed days for days).
/// </summary>
public sealed class WaterfallBuildTests
{
    private static readonly DateOnly Today = new(2026, 3, 10);
    private static readonly Dictionary<ExposureKey, long> None = [];

    [Fact]
    public void The_in_memory_residual_is_the_balls_shown_in_no_bucket_less_the_buckets_with_no_ball()
    {
        var exposures = new Dictionary<ExposureKey, long>
        {
            [new(Today, BallColor.Red, ExposureReason.Counted, BallColor.Red)] = 5,
            [new(Today, BallColor.Blue, ExposureReason.Bot, BallColor.Blue)] = 2,
            [new(Today, BallColor.Red, null, null)] = 1,                          // shown, no bucket
            [new(Today, null, ExposureReason.Counted, BallColor.Blue)] = 1,       // a bucket, no ball
            [new(Today, BallColor.Blue, ExposureReason.Preview, BallColor.Red)] = 1, // shown blue, put in red
            [new(Today, null, ExposureReason.UnknownId, BallColor.Red)] = 3,      // memos: no part of it
            [new(Today, null, ExposureReason.ForgedId, BallColor.Blue)] = 2,
        };

        var slice = Build(Snapshot(), exposures).AllTime;

        Assert.Equal((6, 3), Requests(slice.Stage(Waterfall.Shown)));
        Assert.Equal((5, 1), Requests(slice.Stage(Waterfall.Counted)));
        Assert.Equal((0, 2), Requests(slice.Stage(Waterfall.NotCounted, "bot")));
        Assert.Equal((1, 0), Requests(slice.Stage(Waterfall.NotCounted, "preview")));
        Assert.Equal((0, 0), Requests(slice.Stage(Waterfall.Residual, Waterfall.InMemory)));
        Assert.Equal((3, 0), Requests(slice.Stage(Waterfall.Reassigned, "unknownId")));
        Assert.Equal((0, 2), Requests(slice.Stage(Waterfall.Reassigned, "forgedId")));

        // Without the request shown blue and put in red, red's residual is the ball in no bucket.
        exposures.Remove(new(Today, BallColor.Blue, ExposureReason.Preview, BallColor.Red));
        Assert.Equal((1, -1), Requests(Build(Snapshot(), exposures).AllTime.Stage(Waterfall.Residual, Waterfall.InMemory)));
    }

    [Fact]
    public void The_stored_residual_is_assigned_less_erased_less_remaining_in_visitors_and_views()
    {
        var whole = Snapshot(remainingRed: (8, 16));
        var residual = Build(whole, None).AllTime.Stage(Waterfall.Residual, Waterfall.Stored);
        Assert.Equal(new ArmFigures(0, 0), residual.Red);
        Assert.Equal(new ArmFigures(0, 0), residual.Blue);

        // One visitor with two views too many in the totals: -1 visitor, -2 views, red only.
        residual = Build(Snapshot(remainingRed: (9, 18)), None).AllTime.Stage(Waterfall.Residual, Waterfall.Stored);
        Assert.Equal(new ArmFigures(-2, -1), residual.Red);
        Assert.Equal(new ArmFigures(0, 0), residual.Blue);
        Assert.True(residual.Exact);
    }

    [Fact]
    public void Assigned_is_checked_at_the_familys_half_and_the_other_stages_at_one_thousandth()
    {
        var slice = Build(Snapshot(), None).AllTime;
        Assert.Equal(0.0005, slice.Stage(Waterfall.Assigned).Srm!.Alpha, 15);
        Assert.Equal(0.0005, slice.Stage(Waterfall.Assigned).Srm!.Sequential!.Alpha, 15);
        Assert.Equal(0.001, slice.Stage(Waterfall.Remaining).Srm!.Alpha, 15);
        Assert.Equal(0.001, slice.Stage(Waterfall.Erased, "forget").Srm!.Alpha, 15);
        Assert.Equal(0.001, slice.Stage(Waterfall.NotCounted, "newVisitorLimit").Srm!.Alpha, 15);
        Assert.Null(slice.Stage(Waterfall.Shown).Srm);
    }

    [Fact]
    public void Closed_days_get_a_chi_square_at_one_thousandth_divided_by_the_closed_days_and_today_none()
    {
        // 554 red and 446 blue on an even split: chi-square 11.66, p = 0.00064: a mismatch at
        // 0.001, not at 0.0005.
        var skewed = new DayStats(Today.AddDays(-1), new(BallColor.Red, 554, 554), new(BallColor.Blue, 446, 446));
        var even = new DayStats(Today.AddDays(-2), new(BallColor.Red, 500, 500), new(BallColor.Blue, 500, 500));
        var today = skewed with { Day = Today };

        var oneClosed = Build(Snapshot(), None, Range(skewed, today)).Days;
        Assert.True(oneClosed[0].Closed);
        Assert.Equal(0.001, oneClosed[0].Srm!.Alpha, 15);
        Assert.True(oneClosed[0].Srm!.Flagged);
        Assert.Null(oneClosed[0].Srm!.Sequential);
        Assert.False(oneClosed[1].Closed);
        Assert.Null(oneClosed[1].Srm);

        var twoClosed = Build(Snapshot(), None, Range(even, skewed, today)).Days;
        Assert.Equal(0.0005, twoClosed[1].Srm!.Alpha, 15);
        Assert.InRange(twoClosed[1].Srm!.PValue, 0.0005, 0.001);
        Assert.False(twoClosed[1].Srm!.Flagged);
        Assert.Null(twoClosed[2].Srm);
    }

    [Fact]
    public void A_days_check_counts_the_visitors_erased_since_as_assigned_on_it()
    {
        // 446 red remain of 554 first seen that day: the check is of the 554 assigned.
        var day = new DayStats(Today.AddDays(-1), new(BallColor.Red, 446, 446), new(BallColor.Blue, 446, 446));
        var erased = new ErasureBooks([new DayStats(day.Day, new(BallColor.Red, 108, 108), new(BallColor.Blue, 0, 0))])
        {
            DailyByReason = [(day.Day, new ErasedCounts(BallColor.Red, ErasureReason.Forget, 108, 108))],
        };
        var range = new RangeStats(day.Day, day.Day, [day], [], new(BallColor.Red, 0, 0), new(BallColor.Blue, 0, 0), [], erased);

        var slice = Build(Snapshot(), None, range).Days.Single();
        Assert.True(slice.Srm!.Flagged);
        Assert.Equal(new ArmFigures(108, 108), slice.Stage(Waterfall.Erased, "forget").Red);
        Assert.Equal(new ArmFigures(446, 446), slice.Stage(Waterfall.Remaining).Red);
    }

    private static Waterfall Build(StatsSnapshot snapshot, IReadOnlyDictionary<ExposureKey, long> exposures, RangeStats? range = null) =>
        Waterfall.Build(snapshot, range ?? Range(), exposures, TimeSpan.FromSeconds(5), Today,
            (red, blue, alpha) => SampleRatioMismatch.Check(red, 1, blue, 1, alpha),
            (red, blue, alpha) => SampleRatioMismatch.ChiSquare(red, 1, blue, 1, alpha));

    private static RangeStats Range(params DayStats[] days) => new(
        days.Length == 0 ? Today : days[0].Day, days.Length == 0 ? Today : days[^1].Day, days, [],
        new(BallColor.Red, 0, 0), new(BallColor.Blue, 0, 0), [], ErasureBooks.None);

    // 10 red visitors assigned with 20 views, 2 erased with 4; 6 blue with 9 views, none erased.
    private static StatsSnapshot Snapshot((long Visitors, long Views)? remainingRed = null) =>
        new([new(BallColor.Red, remainingRed?.Visitors ?? 8, remainingRed?.Views ?? 16), new(BallColor.Blue, 6, 9)], [], DateTimeOffset.UnixEpoch)
        {
            Assigned = [new(BallColor.Red, BrowserFamily.Chrome, 7, 14), new(BallColor.Red, null, 3, 6), new(BallColor.Blue, BrowserFamily.Firefox, 6, 9)],
            Erased = [new(BallColor.Red, ErasureReason.Forget, 2, 4)],
        };

    private static (long Red, long Blue) Requests(WaterfallStage stage) => (stage.Red.Requests, stage.Blue.Requests);
}
