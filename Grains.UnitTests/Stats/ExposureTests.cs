using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Stats;
using BallOrleans.Web.Visits;

namespace BallOrleans.Tests.Stats;

/// <summary>One request's exposure record: counted once, whole, when the answer is settled; every call shows.</summary>
public sealed class ExposureTests
{
    [Fact]
    public void A_ball_shown_and_its_bucket_are_counted_together_once()
    {
        var tally = new Tally();
        var exposure = new ExposureCounting(tally).Begin();
        exposure.Put(ExposureReason.Counted, BallColor.Red);
        Assert.Empty(tally.Counts);  // nothing until the answer is settled
        exposure.Shown(BallColor.Red);
        exposure.Done();
        exposure.Done();

        Assert.Equal([(BallColor.Red, ExposureReason.Counted, BallColor.Red)], tally.Counts);
    }

    [Fact]
    public void A_second_ball_or_a_second_bucket_of_one_request_is_counted_on_its_own()
    {
        var tally = new Tally();
        var exposure = new ExposureCounting(tally).Begin();
        exposure.Shown(BallColor.Blue);
        exposure.Shown(BallColor.Blue);
        exposure.Put(ExposureReason.Bot, BallColor.Blue);
        exposure.Put(ExposureReason.Counted, BallColor.Blue);
        exposure.Done();

        Assert.Equal(3, tally.Counts.Count);
        Assert.Contains((BallColor.Blue, (ExposureReason?)null, (BallColor?)null), tally.Counts);
        Assert.Contains(((BallColor?)null, ExposureReason.Counted, BallColor.Blue), tally.Counts);
        Assert.Contains((BallColor.Blue, ExposureReason.Bot, BallColor.Blue), tally.Counts);
    }

    [Fact]
    public void A_request_with_no_ball_and_no_bucket_counts_nothing_and_memos_count_apart()
    {
        var tally = new Tally();
        var exposure = new ExposureCounting(tally).Begin();
        exposure.Memo(ExposureReason.ForgedId, BallColor.Red);
        exposure.Done();

        Assert.Equal([((BallColor?)null, ExposureReason.ForgedId, BallColor.Red)], tally.Counts);
    }

    [Fact]
    public void The_test_hook_leaves_the_ball_shown_in_no_bucket()
    {
        var tally = new Tally();
        var counting = new ExposureCounting(tally) { SkipBucketsForTests = true };
        var exposure = counting.Begin();
        counting.SkipBucketsForTests = false;  // taken when the request began
        exposure.Put(ExposureReason.Counted, BallColor.Red);
        exposure.Shown(BallColor.Red);
        exposure.Done();

        Assert.Equal([(BallColor.Red, (ExposureReason?)null, (BallColor?)null)], tally.Counts);
    }

    [Fact]
    public void The_ball_page_marks_the_exposure_shown_where_it_writes_the_ball()
    {
        var tally = new Tally();
        var exposure = new ExposureCounting(tally).Begin();
        var html = BallPage.Preview(BallColor.Blue, exposure);
        exposure.Done();

        Assert.Contains("data-color=\"blue\"", html, StringComparison.Ordinal);
        Assert.Equal([(BallColor.Blue, (ExposureReason?)null, (BallColor?)null)], tally.Counts);
    }

    private sealed class Tally : IExposureTally
    {
        public List<(BallColor? Shown, ExposureReason? Reason, BallColor? Arm)> Counts { get; } = [];

        public void Count(BallColor? shown, ExposureReason? reason, BallColor? arm) => Counts.Add((shown, reason, arm));
    }
}
