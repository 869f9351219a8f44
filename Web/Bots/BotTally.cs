using System.Collections.Concurrent;
using BallOrleans.Grains.Bots;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Stats;

namespace BallOrleans.Web.Bots;

/// <summary>Requests this process excluded as bots since it started, per family.</summary>
public interface IBotTally
{
    /// <summary>Who this process is to <see cref="IBotReportGrain"/>: one id per process start.</summary>
    Guid Process { get; }

    void Count(string family);

    BotCounts Snapshot();
}

/// <summary>
/// In memory and lock-free on the request path: one dictionary lookup and an interlocked add.
/// Families are named from the user agent, which anyone can write, so their number is capped;
/// requests of families past the cap are counted under <see cref="OtherFamilies"/>.
/// <para>It also keeps the exposure waterfall's in-memory counters (<see cref="IExposureTally"/>),
/// per UTC day, ball shown, bucket and arm, so that they ride the same push; days older than
/// <see cref="ExposureDays"/> are dropped, which bounds them too.</para>
/// </summary>
public sealed class BotTally(TimeProvider clock) : IBotTally, IExposureTally
{
    public const int MaxFamilies = 1000;
    public const string OtherFamilies = "(other families)";
    public const int ExposureDays = 400;

    private readonly ConcurrentDictionary<ExposureKey, Counter> _exposures = new();

    public BotTally()
        : this(TimeProvider.System)
    {
    }

    private readonly ConcurrentDictionary<string, Counter> _families = new(StringComparer.Ordinal);
    private long _total;
    private int _familyCount; // ConcurrentDictionary.Count takes every lock: keep our own

    public Guid Process { get; } = Guid.NewGuid();

    public void Count(string family)
    {
        if (!_families.TryGetValue(family, out var counter))
        {
            // Racing threads may run the factory twice for one family, so the count can run a
            // little ahead of the dictionary and the cap bite a little early: harmless.
            counter = Volatile.Read(ref _familyCount) < MaxFamilies
                ? _families.GetOrAdd(family, _ => NewFamily())
                : _families.GetOrAdd(OtherFamilies, _ => NewFamily());
        }

        Interlocked.Increment(ref counter.Value);
        Interlocked.Increment(ref _total);
    }

    public void Count(BallColor? shown, ExposureReason? reason, BallColor? arm)
    {
        var key = new ExposureKey(Today(), shown, reason, arm);
        Interlocked.Increment(ref _exposures.GetOrAdd(key, _ => new Counter()).Value);
    }

    public BotCounts Snapshot()
    {
        var oldest = Today().AddDays(-ExposureDays);
        foreach (var key in _exposures.Keys.Where(k => k.Day < oldest))
        {
            _exposures.TryRemove(key, out _);
        }

        return new(
            Interlocked.Read(ref _total),
            _families.ToDictionary(f => f.Key, f => Interlocked.Read(ref f.Value.Value), StringComparer.Ordinal))
        {
            Exposures = _exposures.ToDictionary(e => e.Key, e => Interlocked.Read(ref e.Value.Value)),
        };
    }

    private DateOnly Today() => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    private Counter NewFamily()
    {
        Interlocked.Increment(ref _familyCount);
        return new Counter();
    }

    private sealed class Counter
    {
        public long Value;
    }
}
