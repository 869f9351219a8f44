using System.Net;
using System.Threading.RateLimiting;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Web.Hosting;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Visits;

/// <summary>
/// A token bucket per client address (IPv6 per /64, which one subscriber usually holds) for
/// minting visitors. Over the limit the page still shows a ball, but nothing is stored and no
/// cookie is set, so one client cannot fill the database.
/// </summary>
public sealed class NewVisitorLimit : IDisposable
{
    private readonly NewVisitorLimitOptions _options;
    private readonly PartitionedRateLimiter<IPAddress>? _limiter;

    public NewVisitorLimit(IOptions<NewVisitorLimitOptions> options)
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
    }

    /// <summary>True when a visitor may be minted for a request from <paramref name="client"/>.</summary>
    public bool TryMint(IPAddress? client)
    {
        if (_limiter is null || client is null || (_options.ExemptLoopback && IPAddress.IsLoopback(client)))
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(client);
        if (!lease.IsAcquired)
        {
            BallMetrics.NewVisitorsLimited.Add(1);
        }

        return lease.IsAcquired;
    }

    public void Dispose() => _limiter?.Dispose();
}
