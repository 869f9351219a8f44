using BallOrleans.Grains.Stats;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Stats;

/// <summary>
/// This web process's copy of the report's snapshot, refreshed at most every
/// <c>Stats:SnapshotCacheMilliseconds</c>; concurrent requests share one grain call.
/// </summary>
public sealed class StatsCache(IGrainFactory grains, IOptions<StatsOptions> options, TimeProvider clock)
{
    private readonly TimeSpan _maxAge = TimeSpan.FromMilliseconds(options.Value.SnapshotCacheMilliseconds);
    private readonly Lock _lock = new();
    private (Task<StatsSnapshot> Task, DateTimeOffset Fetched)? _current;

    public Task<StatsSnapshot> GetAsync()
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_current is { } current && now - current.Fetched < _maxAge && !current.Task.IsFaulted && !current.Task.IsCanceled)
            {
                return current.Task;
            }

            var task = grains.GetGrain<IReportGrain>(0).GetStatsAsync();
            _current = (task, now);
            return task;
        }
    }
}
