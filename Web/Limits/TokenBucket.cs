namespace BallOrleans.Web.Limits;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>'s clock: it holds up to a burst of tokens and
/// gains so many every period, worked out from the time since it was last used (no timer).
/// </summary>
/// <remarks>
/// Ours rather than System.Threading.RateLimiting's <c>TokenBucketRateLimiter</c>, which the
/// per-address limit uses (<see cref="NewVisitorLimit"/>): that limiter reads <c>Stopwatch</c> and
/// takes no <see cref="TimeProvider"/> (.NET 10), so a test of its refill has to wait in real time,
/// slowly or flakily on a shared machine; and its partitioned form keeps every partition in one
/// dictionary behind one lock and visits each of them ten times a second, which with a partition
/// per visitor (<see cref="CookieVisitLimit"/>) is work in proportion to the audience. The
/// algorithm itself is the few lines of <see cref="TryTake"/>.
/// </remarks>
internal sealed class TokenBucket
{
    private readonly TimeProvider _clock;
    private readonly long _perPeriod;

    // In whole units, so that a refill at an exact boundary is exact: a token is one period in
    // timestamp ticks, and every tick adds tokensPerPeriod units.
    private readonly long _tokenUnits;
    private readonly long _capacityUnits;
    private readonly Lock _lock = new();
    private long _units;
    private long _updated;

    /// <summary>A full bucket of <paramref name="burst"/> tokens that gains <paramref name="tokensPerPeriod"/> every <paramref name="period"/>.</summary>
    public TokenBucket(TimeProvider clock, long burst, long tokensPerPeriod, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerPeriod, 1);
        _clock = clock;
        _perPeriod = tokensPerPeriod;
        _tokenUnits = checked((long)((Int128)period.Ticks * clock.TimestampFrequency / TimeSpan.TicksPerSecond));
        _capacityUnits = checked(burst * _tokenUnits);
        _units = _capacityUnits;
        _updated = clock.GetTimestamp();
    }

    /// <summary>Takes a token if there is one.</summary>
    public bool TryTake()
    {
        lock (_lock)
        {
            Refill();
            if (_units < _tokenUnits)
            {
                return false;
            }

            _units -= _tokenUnits;
            return true;
        }
    }

    /// <summary>True when the bucket has refilled to its burst: it is then no different from a new one.</summary>
    public bool IsFull
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _units == _capacityUnits;
            }
        }
    }

    private void Refill()
    {
        var now = _clock.GetTimestamp();
        if (now <= _updated)
        {
            return;
        }

        // Past the time that fills the bucket, more time adds nothing (and would overflow the product).
        var missing = _capacityUnits - _units;
        var elapsed = Math.Min(now - _updated, missing / _perPeriod + 1);
        _units = Math.Min(_capacityUnits, _units + elapsed * _perPeriod);
        _updated = now;
    }
}
