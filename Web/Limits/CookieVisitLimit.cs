using System.Collections.Concurrent;
using BallOrleans.Grains.Diagnostics;
using Microsoft.Extensions.Options;

using BallOrleans.Web.Visits;

namespace BallOrleans.Web.Limits;

/// <summary>
/// A token bucket per visitor for counted visits (<see cref="VisitOptions.PerCookiePerMinute"/>),
/// keyed by the id their cookie names once it verified. Over it the visitor is shown their ball
/// and nothing is stored, so one valid cookie replayed at full speed costs the database nothing
/// beyond its rate. A bucket that has refilled is dropped at the next sweep: it is no different
/// from a new one, so only visitors seen in the last minute or two are held in memory.
/// </summary>
public sealed class CookieVisitLimit
{
    /// <summary>How often full buckets are dropped.</summary>
    internal static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _clock;
    private readonly int _perMinute;
    private readonly int _burst;
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private long _nextSweep;

    public CookieVisitLimit(IOptions<VisitOptions> options, TimeProvider clock)
    {
        _clock = clock;
        _perMinute = options.Value.PerCookiePerMinute;
        _burst = options.Value.PerCookieBurst;
        _nextSweep = clock.GetTimestamp() + SweepTicks();
    }

    /// <summary>Visitors whose bucket is held now (full ones until the next sweep).</summary>
    internal int Tracked => _buckets.Count;

    /// <summary>True when the visitor <paramref name="visitorId"/> may have this visit counted (a token is spent).</summary>
    public bool TryVisit(string visitorId)
    {
        if (_perMinute == 0)
        {
            return true;
        }

        SweepWhenDue();
        var allowed = _buckets.GetOrAdd(visitorId, static (_, limit) => limit.NewBucket(), this).TryTake();
        if (!allowed)
        {
            BallMetrics.VisitsLimited.Add(1);
        }

        return allowed;
    }

    private TokenBucket NewBucket() => new(_clock, _burst, _perMinute, TimeSpan.FromMinutes(1));

    private long SweepTicks() => (long)(SweepEvery.TotalSeconds * _clock.TimestampFrequency);

    /// <summary>
    /// Once a sweep interval, the caller that notices drops every full bucket. A visit racing the
    /// sweep may take its token from a bucket just dropped and so get one visit more than its
    /// rate, once: harmless for a limit of this kind, and cheaper than a lock per visit.
    /// </summary>
    private void SweepWhenDue()
    {
        var now = _clock.GetTimestamp();
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + SweepTicks(), due) != due)
        {
            return;
        }

        foreach (var (id, bucket) in _buckets)
        {
            if (bucket.IsFull)
            {
                _buckets.TryRemove(new KeyValuePair<string, TokenBucket>(id, bucket));
            }
        }
    }
}
