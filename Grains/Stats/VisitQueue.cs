using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// This silo's visits since the last flush: the latest absolute snapshot of each visitor. Keeping
/// only the latest snapshot bounds the buffer by visitors, not visits, and makes a batch
/// idempotent. Adding takes a short lock and never waits for I/O.
/// </summary>
public sealed class VisitQueue(IOptions<StatsOptions> options, ILogger<VisitQueue> logger)
{
    private readonly int _capacity = options.Value.MaxQueuedVisitors;
    private readonly Lock _lock = new();
    private Dictionary<string, VisitorSnapshot> _pending = new(StringComparer.Ordinal);
    private long _dropped;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    public void Add(VisitorSnapshot snapshot)
    {
        lock (_lock)
        {
            if (_pending.TryGetValue(snapshot.VisitorId, out var queued))
            {
                // Views only grow, so the snapshot with more views is the later one.
                if (queued.Views < snapshot.Views)
                {
                    _pending[snapshot.VisitorId] = snapshot;
                }
            }
            else if (_pending.Count < _capacity)
            {
                _pending.Add(snapshot.VisitorId, snapshot);
            }
            else
            {
                _dropped++;
            }
        }
    }

    /// <summary>Takes everything queued so far.</summary>
    public VisitorSnapshot[] Drain()
    {
        Dictionary<string, VisitorSnapshot> taken;
        long dropped;
        lock (_lock)
        {
            if (_pending.Count == 0 && _dropped == 0)
            {
                return [];
            }

            taken = _pending;
            _pending = new(StringComparer.Ordinal);
            dropped = _dropped;
            _dropped = 0;
        }

        if (dropped > 0)
        {
            // Nothing is lost for good: the visits are in grain state, and reconciliation reads them back.
            logger.LogWarning("Stats queue full: {Dropped} visitor updates were not queued; reconciliation will restore them", dropped);
        }

        return [.. taken.Values];
    }

    /// <summary>Puts back a batch the report did not take, under anything newer queued since.</summary>
    public void Requeue(IEnumerable<VisitorSnapshot> batch)
    {
        foreach (var snapshot in batch)
        {
            Add(snapshot);
        }
    }
}
