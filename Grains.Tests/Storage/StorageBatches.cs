using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using BallOrleans.Grains.Diagnostics;

namespace BallOrleans.Tests.Storage;

/// <summary>Records the size of every write batch the grouped storage runs while it is alive (from the <c>ball.storage.batch.size</c> histogram).</summary>
internal sealed class StorageBatches : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<int> _writes = new();

    public StorageBatches()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BallMetrics.MeterName && instrument.Name == "ball.storage.batch.size")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, size, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "operation", Value: "write" })
                {
                    _writes.Enqueue(size);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Sizes of the write batches run so far, in order.</summary>
    public IReadOnlyList<int> Writes => [.. _writes];

    public void Dispose() => _listener.Dispose();
}
