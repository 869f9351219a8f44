using BallOrleans.Grains.Visitors;

namespace BallOrleans.Tests.Visitors;

/// <summary>How a visitor's state tells a visit it counted (and may have forgotten) from a new one.</summary>
public sealed class VisitorStateTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_request_id_carries_the_millisecond_its_visit_began()
    {
        var began = Noon.AddMilliseconds(1234);

        Assert.Equal(began.ToUnixTimeMilliseconds(), VisitRequestId.BeganAt(Guid.CreateVersion7(began)));
        Assert.Null(VisitRequestId.BeganAt(Guid.NewGuid()));
    }

    [Fact]
    public void A_visit_that_left_the_recent_list_is_still_known_as_maybe_counted()
    {
        var state = VisitorState.New(BallColor.Red, Noon);
        var visits = Enumerable.Range(0, VisitorState.RecentRequestLimit + 1).Select(i => Guid.CreateVersion7(Noon.AddSeconds(i))).ToList();
        foreach (var visit in visits)
        {
            state.CountView(Noon, visit);
        }

        var forgotten = visits[0];
        Assert.DoesNotContain(forgotten, state.RecentRequests);
        Assert.Null(state.ViewOf(forgotten));
        Assert.True(state.MayHaveCounted(forgotten));
        // A visit that began before the forgotten one, and never reached this state, can't be told from it.
        Assert.True(state.MayHaveCounted(Guid.CreateVersion7(Noon.AddSeconds(-1))));
        // One that began after it is new.
        Assert.False(state.MayHaveCounted(Guid.CreateVersion7(Noon.AddSeconds(0.5))));
        Assert.Equal(Noon.ToUnixTimeMilliseconds(), state.ForgottenUpTo);
    }

    [Fact]
    public void Until_an_id_leaves_the_list_no_visit_is_doubted()
    {
        var state = VisitorState.New(BallColor.Blue, Noon);
        for (var i = 0; i < VisitorState.RecentRequestLimit; i++)
        {
            state.CountView(Noon, Guid.CreateVersion7(Noon.AddSeconds(i)));
        }

        Assert.Equal(0, state.ForgottenUpTo);
        Assert.False(state.MayHaveCounted(Guid.CreateVersion7(Noon.AddSeconds(-60))));
    }

    [Fact]
    public void The_copy_keeps_what_was_forgotten()
    {
        var state = VisitorState.New(BallColor.Red, Noon);
        for (var i = 0; i <= VisitorState.RecentRequestLimit; i++)
        {
            state.CountView(Noon, Guid.CreateVersion7(Noon.AddSeconds(i)));
        }

        Assert.Equal(state.ForgottenUpTo, state.Copy().ForgottenUpTo);
    }
}
