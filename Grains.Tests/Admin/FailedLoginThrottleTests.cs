using System.Net;
using BallOrleans.Web.Admin;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Admin;

public sealed class FailedLoginThrottleTests
{
    [Fact]
    public void An_address_is_throttled_after_exactly_its_limit_of_failures_and_alone()
    {
        using var throttle = new FailedLoginThrottle(Options.Create(new FailedLoginOptions { Limit = 10, Window = TimeSpan.FromMinutes(1) }));
        var guesser = IPAddress.Parse("198.51.100.7");

        for (var i = 0; i < 10; i++)
        {
            Assert.False(throttle.IsThrottled(guesser, out _), $"throttled after {i} failures");
            throttle.RecordFailure(guesser);
        }

        Assert.True(throttle.IsThrottled(guesser, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
        Assert.False(throttle.IsThrottled(IPAddress.Parse("198.51.100.8"), out _));
    }
}
