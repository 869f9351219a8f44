using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using BallOrleans.Web.Limits;

namespace BallOrleans.Tests.Operations;

/// <summary>The per-cookie visit rate (issue 26, item 8) on a fake clock.</summary>
public sealed class CookieVisitLimitTests
{
    private static CookieVisitLimit Limit(FakeTimeProvider clock, int perMinute = 30, int burst = 3) =>
        new(Options.Create(new VisitOptions { PerCookiePerMinute = perMinute, PerCookieBurst = burst }), clock);

    [Fact]
    public void One_cookie_gets_its_burst_and_then_its_rate_while_others_keep_theirs()
    {
        var clock = new FakeTimeProvider();
        var limit = Limit(clock);
        var (replayed, other) = (VisitorId.NewId(), VisitorId.NewId());

        Assert.Equal(3, Enumerable.Range(0, 20).Count(_ => limit.TryVisit(replayed)));
        Assert.True(limit.TryVisit(other), "another visitor has a bucket of their own");

        // Thirty a minute: one more every two seconds, not sooner.
        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(limit.TryVisit(replayed));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limit.TryVisit(replayed));
        Assert.False(limit.TryVisit(replayed));

        // A minute of replaying at full speed counts thirty visits.
        var counted = 0;
        for (var ms = 0; ms < 60_000; ms += 10)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            counted += limit.TryVisit(replayed) ? 1 : 0;
        }

        Assert.Equal(30, counted);
    }

    [Fact]
    public void Zero_turns_the_limit_off_and_it_is_on_by_default()
    {
        var clock = new FakeTimeProvider();
        var off = Limit(clock, perMinute: 0);
        var id = VisitorId.NewId();
        Assert.Equal(1000, Enumerable.Range(0, 1000).Count(_ => off.TryVisit(id)));
        Assert.Equal(0, off.Tracked);

        var defaults = new VisitOptions();
        Assert.True(defaults.PerCookiePerMinute > 0, "the per-cookie limit is on by default");
        var byDefault = new CookieVisitLimit(Options.Create(defaults), clock);
        Assert.Equal(defaults.PerCookieBurst, Enumerable.Range(0, 1000).Count(_ => byDefault.TryVisit(id)));
    }

    [Fact]
    public void Refilled_buckets_are_dropped_and_draining_ones_kept()
    {
        var clock = new FakeTimeProvider();
        var limit = Limit(clock, perMinute: 30, burst: 3);
        var quiet = Enumerable.Range(0, 100).Select(_ => VisitorId.NewId()).ToList();
        foreach (var id in quiet)
        {
            limit.TryVisit(id);
        }

        // Refilled long since, except the replayer's: it keeps visiting, so its bucket stays empty.
        var replayer = VisitorId.NewId();
        var now = TimeSpan.Zero;
        while (now < CookieVisitLimit.SweepEvery + TimeSpan.FromSeconds(1))
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            now += TimeSpan.FromMilliseconds(500);
            limit.TryVisit(replayer);
        }

        Assert.Equal(1, limit.Tracked);
        // The replayer's state survived the sweep: still over its rate.
        Assert.False(limit.TryVisit(replayer));
    }
}
