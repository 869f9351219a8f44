using System.Net;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Operations;

public sealed class NewVisitorLimitTests
{
    private static NewVisitorLimit Limit(int perSecond = 1, int burst = 3, bool exemptLoopback = true) =>
        new(Options.Create(new NewVisitorLimitOptions { PerAddressPerSecond = perSecond, Burst = burst, ExemptLoopback = exemptLoopback }));

    [Fact]
    public void One_address_gets_its_burst_and_then_no_more()
    {
        using var limit = Limit();
        var client = IPAddress.Parse("203.0.113.7");

        var minted = Enumerable.Range(0, 10).Count(_ => limit.TryMint(client));

        Assert.Equal(3, minted);
        Assert.True(limit.TryMint(IPAddress.Parse("203.0.113.8")), "another address has a bucket of its own");
    }

    [Fact]
    public void Loopback_is_exempt_unless_configured_otherwise()
    {
        using var exempt = Limit();
        using var limited = Limit(exemptLoopback: false);

        Assert.Equal(100, Enumerable.Range(0, 100).Count(_ => exempt.TryMint(IPAddress.Loopback)));
        Assert.Equal(3, Enumerable.Range(0, 100).Count(_ => limited.TryMint(IPAddress.Loopback)));
    }

    [Fact]
    public void An_ipv6_subscriber_shares_one_bucket_across_its_64_bit_prefix()
    {
        using var limit = Limit();

        var minted = Enumerable.Range(1, 10).Count(i => limit.TryMint(IPAddress.Parse($"2001:db8:1:2::{i:x}")));

        Assert.Equal(3, minted);
        Assert.True(limit.TryMint(IPAddress.Parse("2001:db8:1:3::1")));
    }

    [Fact]
    public void Zero_turns_the_limit_off()
    {
        using var limit = Limit(perSecond: 0);
        Assert.Equal(50, Enumerable.Range(0, 50).Count(_ => limit.TryMint(IPAddress.Parse("203.0.113.7"))));
    }
}
