using BallOrleans.Grains.Stats;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Stats;

/// <summary>
/// This web process's copies of the range stats, per range, for <c>Stats:RangeCacheMilliseconds</c>.
/// The segments read every visitor first seen in the range (a second for a million), so a copy
/// past its age is still answered while one refresh runs behind it: pages and <c>/api/stats</c>
/// never wait for that read once a range has been read. At most <see cref="MaxRanges"/> ranges are
/// kept; 0 ms reads every time (tests).
/// </summary>
public sealed class RangeStatsCache(RangeStatsReader reader, IOptions<StatsOptions> options, TimeProvider clock)
{
    public const int MaxRanges = 32;
    private readonly TimeSpan _maxAge = TimeSpan.FromMilliseconds(options.Value.RangeCacheMilliseconds);
    private readonly Lock _lock = new();
    private readonly Dictionary<(DateOnly, DateOnly), Entry> _entries = [];

    public Task<RangeStats> GetAsync(DateOnly from, DateOnly to)
    {
        if (_maxAge == TimeSpan.Zero)
        {
            return reader.ReadAsync(from, to);
        }

        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_entries.TryGetValue((from, to), out var entry))
            {
                if (!entry.Current.IsFaulted && !entry.Current.IsCanceled)
                {
                    entry.LastAsked = now;
                    if (now - entry.Fetched >= _maxAge && entry.Current.IsCompletedSuccessfully && entry.Refresh is null)
                    {
                        // On the pool: its end takes this lock, which is only free once Refresh is set.
                        entry.Refresh = Task.Run(() => RefreshAsync(entry, from, to, now));
                    }

                    return entry.Current;
                }

                _entries.Remove((from, to));
            }

            if (_entries.Count >= MaxRanges)
            {
                _entries.Remove(_entries.MinBy(e => e.Value.LastAsked).Key);
            }

            entry = new Entry(reader.ReadAsync(from, to), now);
            _entries[(from, to)] = entry;
            return entry.Current;
        }
    }

    private async Task RefreshAsync(Entry entry, DateOnly from, DateOnly to, DateTimeOffset started)
    {
        try
        {
            var fresh = await reader.ReadAsync(from, to);
            lock (_lock)
            {
                entry.Current = Task.FromResult(fresh);
                entry.Fetched = started;
            }
        }
        catch (Exception)
        {
            // The old copy stays in use (its age says how old); the next request tries again.
        }
        finally
        {
            lock (_lock)
            {
                entry.Refresh = null;
            }
        }
    }

    private sealed class Entry(Task<RangeStats> current, DateTimeOffset fetched)
    {
        public Task<RangeStats> Current { get; set; } = current;

        public DateTimeOffset Fetched { get; set; } = fetched;

        public DateTimeOffset LastAsked { get; set; } = fetched;

        public Task? Refresh { get; set; }
    }
}
