using System.Net;
using System.Threading.RateLimiting;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Stats;
using BallOrleans.Web.Hosting;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Limits;

/// <summary>
/// Limits on minting visitors: a token bucket per client address (IPv6 per /64, which one
/// subscriber usually holds), and one for the whole web instance, whatever the address. Over
/// either, the page still shows a ball, but nothing is stored and no cookie is set, so neither
/// one client nor many together can fill the database.
/// </summary>
public sealed class NewVisitorLimit : IDisposable
{
    private readonly NewVisitorLimitOptions _options;
    private readonly PartitionedRateLimiter<IPAddress>? _limiter;
    private readonly TokenBucket? _global;

    public NewVisitorLimit(IOptions<NewVisitorLimitOptions> options, TimeProvider clock)
    {
        _options = options.Value;
        if (_options.PerAddressPerSecond > 0)
        {
            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = _options.Burst,
                TokensPerPeriod = _options.PerAddressPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            _limiter = PartitionedRateLimiter.Create<IPAddress, IPAddress>(
                address => RateLimitPartition.GetTokenBucketLimiter(ClientAddress.Key(address), _ => bucket));
        }

        if (_options.GlobalPerSecond > 0)
        {
            _global = new TokenBucket(clock, _options.GlobalBurst, _options.GlobalPerSecond, TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>True when a visitor may be minted for a request from <paramref name="client"/>.</summary>
    public bool TryMint(IPAddress? client) => Refusal(client) is null;

    /// <summary>
    /// Null when a visitor may be minted for a request from <paramref name="client"/> (a token of
    /// each limit is spent); otherwise the limit that refused, as the exposure waterfall names it.
    /// The address is asked first: a client over its own limit spends nothing of everyone's.
    /// </summary>
    public ExposureReason? Refusal(IPAddress? client)
    {
        if (!WithinAddressLimit(client))
        {
            BallMetrics.NewVisitorsLimited.Add(1, new KeyValuePair<string, object?>("limit", "address"));
            return ExposureReason.NewVisitorLimit;
        }

        if (_global is not null && !_global.TryTake())
        {
            BallMetrics.NewVisitorsLimited.Add(1, new KeyValuePair<string, object?>("limit", "global"));
            return ExposureReason.GlobalNewVisitorLimit;
        }

        return null;
    }

    private bool WithinAddressLimit(IPAddress? client)
    {
        if (_limiter is null || client is null || (_options.ExemptLoopback && IPAddress.IsLoopback(client)))
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(client);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter?.Dispose();
}
