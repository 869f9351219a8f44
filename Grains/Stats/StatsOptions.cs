using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Stats;

/// <summary>Settings of the stats pipeline and pages (section <c>Stats</c>; its <c>AdminPassword</c> is the web tier's <c>AdminOptions</c>).</summary>
public sealed class StatsOptions
{
    public const string Section = "Stats";

    /// <summary>How often the report reads the totals back from the read model.</summary>
    [Range(50, 60_000)]
    public int RefreshMilliseconds { get; set; } = 500;

    /// <summary>How long a web process reuses one stats snapshot.</summary>
    [Range(0, 60_000)]
    public int SnapshotCacheMilliseconds { get; set; } = 500;

    /// <summary>
    /// How long a web process reuses the stats of one range of days (the daily series and the
    /// segments) before reading them again, behind the old copy. 0 reads them at every request.
    /// </summary>
    [Range(0, 3_600_000)]
    public int RangeCacheMilliseconds { get; set; } = 10_000;

    /// <summary>
    /// How often each silo deletes the minutes older than the hour the stats show
    /// (<see cref="MinutePruning"/>), whether or not anyone reads the stats.
    /// </summary>
    [Range(100, 3_600_000)]
    public int PruneMilliseconds { get; set; } = 60_000;

    /// <summary>
    /// How often each silo folds the stats journal into the aggregates (<see cref="StatsFolding"/>):
    /// the stats lag the visits by at most this, plus the refresh and the cache. At most a second,
    /// so that the stats lag by 2 s at the most with the defaults.
    /// </summary>
    [Range(50, 1_000)]
    public int FoldMilliseconds { get; set; } = 1_000;

    public TimeSpan RefreshInterval => TimeSpan.FromMilliseconds(RefreshMilliseconds);

    public TimeSpan FoldInterval => TimeSpan.FromMilliseconds(FoldMilliseconds);

    public TimeSpan PruneInterval => TimeSpan.FromMilliseconds(PruneMilliseconds);
}
