using System.Net;
using BallOrleans.Grains.Stats;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using BallOrleans.Web.Limits;

namespace BallOrleans.Tests.Operations;

public sealed class NewVisitorLimitTests
{
    private static NewVisitorLimit Limit(int perSecond = 1, int burst = 3, bool exemptLoopback = true, int globalPerSecond = 0, int globalBurst = 1, TimeProvider? clock = null) =>
        new(Options.Create(new NewVisitorLimitOptions
        {
            PerAddressPerSecond = perSecond,
            Burst = burst,
            ExemptLoopback = exemptLoopback,
            GlobalPerSecond = globalPerSecond,
            GlobalBurst = globalBurst,
        }), clock ?? TimeProvider.System);

    private static IPAddress Address(int i) => IPAddress.Parse($"203.0.113.{i}");

    [Fact]
    public void One_address_gets_its_burst_and_then_no_more()
    {
        using var limit = Limit();
        var client = IPAddress.Parse("203.0.113.7");

        var minted = Enumerable.Range(0, 10).Count(_ => limit.TryMint(client));

        Assert.Equal(3, minted);
        Assert.True(limit.TryMint(IPAddress.Parse("203.0.113.8")), "another address has a bucket of its own");
        Assert.Equal(ExposureReason.NewVisitorLimit, limit.Refusal(client));
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

    [Fact]
    public void Many_addresses_together_get_the_global_burst_and_then_the_global_rate()
    {
        var clock = new FakeTimeProvider();
        using var limit = Limit(perSecond: 0, globalPerSecond: 2, globalBurst: 4, clock: clock);

        // Every request from an address of its own: no address is anywhere near a limit of its own.
        var refusals = Enumerable.Range(1, 10).Select(i => limit.Refusal(Address(i))).ToList();
        Assert.Equal(4, refusals.Count(r => r is null));
        Assert.All(refusals.Skip(4), r => Assert.Equal(ExposureReason.GlobalNewVisitorLimit, r));

        // Two a second: one more after half a second, not before.
        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(limit.TryMint(Address(11)));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limit.TryMint(Address(12)));
        Assert.False(limit.TryMint(Address(13)));

        // A long quiet time refills the burst, and no more.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(4, Enumerable.Range(20, 10).Count(i => limit.TryMint(Address(i))));
    }

    [Fact]
    public void An_address_over_its_own_limit_spends_nothing_of_the_global_budget()
    {
        var clock = new FakeTimeProvider();
        using var limit = Limit(perSecond: 1, burst: 3, globalPerSecond: 1, globalBurst: 5, clock: clock);
        var greedy = Address(7);

        var greedyRefusals = Enumerable.Range(0, 50).Select(_ => limit.Refusal(greedy)).ToList();

        Assert.Equal(3, greedyRefusals.Count(r => r is null));
        Assert.All(greedyRefusals.Where(r => r is not null), r => Assert.Equal(ExposureReason.NewVisitorLimit, r));
        // Its 47 refusals took nothing from the others: two of the global five are left.
        Assert.True(limit.TryMint(Address(8)));
        Assert.True(limit.TryMint(Address(9)));
        Assert.Equal(ExposureReason.GlobalNewVisitorLimit, limit.Refusal(Address(10)));
    }

    [Fact]
    public void Loopback_is_not_exempt_from_the_global_limit()
    {
        using var limit = Limit(globalPerSecond: 1, globalBurst: 2, clock: new FakeTimeProvider());

        Assert.Equal(2, Enumerable.Range(0, 10).Count(_ => limit.TryMint(IPAddress.Loopback)));
        Assert.Equal(ExposureReason.GlobalNewVisitorLimit, limit.Refusal(IPAddress.Loopback));
    }

    [Fact]
    public void Zero_turns_the_global_limit_off_and_it_is_on_by_default()
    {
        using var off = Limit(perSecond: 0, globalPerSecond: 0, clock: new FakeTimeProvider());
        Assert.Equal(1000, Enumerable.Range(0, 1000).Count(i => off.TryMint(Address(i % 250))));

        var defaults = new NewVisitorLimitOptions();
        Assert.True(defaults.GlobalPerSecond > 0 && defaults.GlobalBurst > 0, "a global limit is on by default");
        using var byDefault = new NewVisitorLimit(Options.Create(defaults), new FakeTimeProvider());
        // Loopback: exempt from the per-address limit by default, not from the global one.
        Assert.Equal(defaults.GlobalBurst, Enumerable.Range(0, defaults.GlobalBurst + 100).Count(_ => byDefault.TryMint(IPAddress.Loopback)));
    }
}
