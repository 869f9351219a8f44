using System.Net;
using System.Threading.RateLimiting;
using BallOrleans.Web.Hosting;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Admin;

/// <summary>
/// Counts wrong admin passwords per client address in a fixed window. Once an address has used
/// up its failures, every admin request from it is refused (the right password too) until the
/// window ends, so guessing costs a window per <see cref="FailedLoginOptions.Limit"/> tries.
/// </summary>
/// <remarks>
/// Built on System.Threading.RateLimiting, the limiter under ASP.NET Core's rate-limiting
/// middleware, rather than on the middleware itself: the middleware takes a permit for every
/// request before the endpoint runs, while a login throttle must count only the failures, which
/// are known after the credential is checked, and must look without counting before it.
/// </remarks>
public sealed class FailedLoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress> _failures;
    private readonly TimeSpan _window;

    public FailedLoginThrottle(IOptions<FailedLoginOptions> options)
    {
        var limit = options.Value;
        _window = limit.Window;
        var window = new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.Limit,
            Window = limit.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(
            client => RateLimitPartition.GetFixedWindowLimiter(ClientAddress.Key(client), _ => window));
    }

    /// <summary>True when <paramref name="client"/> has no failures left in this window; then also how long to wait.</summary>
    public bool IsThrottled(IPAddress? client, out TimeSpan retryAfter)
    {
        // Zero permits asks whether any are left without taking one.
        using var lease = _failures.AttemptAcquire(client ?? IPAddress.None, permitCount: 0);
        if (lease.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return false;
        }

        // The fixed window says "a whole window" rather than what is left of this one: an upper bound.
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : _window;
        return true;
    }

    /// <summary>Counts one wrong password from <paramref name="client"/>.</summary>
    public void RecordFailure(IPAddress? client)
    {
        using var _ = _failures.AttemptAcquire(client ?? IPAddress.None);
    }

    public void Dispose() => _failures.Dispose();
}
