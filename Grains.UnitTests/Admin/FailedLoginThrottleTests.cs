using System.Net;
using BallOrleans.Web.Admin;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Admin;

public sealed class FailedLoginThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("198.51.100.7");

    private static FailedLoginThrottle Throttle(TimeProvider clock) =>
        new(Options.Create(new FailedLoginOptions { Limit = 10, Window = TimeSpan.FromMinutes(1) }), clock);

    [Fact]
    public void An_address_is_throttled_after_exactly_its_limit_of_tries_and_alone()
    {
        var throttle = Throttle(new ManualClock());

        for (var i = 0; i < 10; i++)
        {
            Assert.False(throttle.IsThrottled(Guesser, out _), $"throttled after {i} failures");
            Assert.True(throttle.TryCharge(Guesser, out _, out _));
        }

        Assert.True(throttle.IsThrottled(Guesser, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
        Assert.False(throttle.TryCharge(Guesser, out _, out _));
        Assert.False(throttle.IsThrottled(IPAddress.Parse("198.51.100.8"), out _));
    }

    [Fact]
    public void Parallel_tries_from_one_address_get_exactly_the_limit_between_them()
    {
        var throttle = Throttle(new ManualClock());
        var charged = 0;

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, guess =>
        {
            if (throttle.TryCharge(Guesser, out _, out _))
            {
                Interlocked.Increment(ref charged);
            }
        });

        Assert.Equal(10, charged);
    }

    [Fact]
    public void A_right_password_gives_its_try_back()
    {
        var throttle = Throttle(new ManualClock());

        for (var i = 0; i < 100; i++)
        {
            Assert.True(throttle.TryCharge(Guesser, out var charge, out _), $"refused after {i} right passwords");
            throttle.Refund(charge);
        }

        Assert.False(throttle.IsThrottled(Guesser, out _));
    }

    [Fact]
    public void The_window_ends_and_a_refund_from_an_ended_window_gives_nothing_back_in_the_next()
    {
        var clock = new ManualClock();
        var throttle = Throttle(clock);
        Assert.True(throttle.TryCharge(Guesser, out var old, out _));
        for (var i = 1; i < 10; i++)
        {
            Assert.True(throttle.TryCharge(Guesser, out _, out _));
        }

        clock.Advance(TimeSpan.FromSeconds(45));
        Assert.True(throttle.IsThrottled(Guesser, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(15), retryAfter);

        clock.Advance(TimeSpan.FromSeconds(15));
        Assert.False(throttle.IsThrottled(Guesser, out _));
        for (var i = 0; i < 10; i++)
        {
            Assert.True(throttle.TryCharge(Guesser, out _, out _), $"refused after {i} tries in the new window");
        }

        throttle.Refund(old);
        Assert.False(throttle.TryCharge(Guesser, out _, out _));
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public override long GetTimestamp() => _now.UtcTicks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by) => _now += by;
    }
}
