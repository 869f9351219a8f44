using System.Diagnostics;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Visitors;
using Orleans.Storage;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// A visitor's state written through the visitors' storage, timed into <see cref="BallMetrics.StorageWriteLatency"/>.
/// Named apart from <see cref="IGrainStorage.WriteStateAsync"/>: an extension, not the storage's own method.
/// </summary>
internal static class VisitorWrites
{
    public static async Task WriteVisitorAsync(this IGrainStorage storage, GrainId visitor, IGrainState<VisitorState> state)
    {
        var started = Stopwatch.GetTimestamp();
        await storage.WriteStateAsync(StorageNames.VisitorState, visitor, state);
        BallMetrics.StorageWriteLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
