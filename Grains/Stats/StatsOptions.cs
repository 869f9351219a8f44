using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Stats;

/// <summary>Settings of the stats pipeline and pages (section <c>Stats</c>; its <c>AdminPassword</c> is the web tier's <c>AdminOptions</c>).</summary>
public sealed class StatsOptions
{
    public const string Section = "Stats";

    /// <summary>How often each silo pushes its buffered visits to the report.</summary>
    [Range(50, 60_000)]
    public int FlushMilliseconds { get; set; } = 1000;

    /// <summary>How often the report re-reads recently written grain state to heal lost batches.</summary>
    [Range(1, 3600)]
    public int ReconcileSeconds { get; set; } = 5;

    /// <summary>How far back each reconciliation re-reads, for writes that committed late.</summary>
    [Range(1, 3600)]
    public int ReconcileLagSeconds { get; set; } = 5;

    /// <summary>Visitors a silo buffers at most while the report is unreachable; beyond, reconciliation restores them.</summary>
    [Range(1000, 10_000_000)]
    public int MaxQueuedVisitors { get; set; } = 200_000;

    /// <summary>How long a web process reuses one stats snapshot.</summary>
    [Range(0, 60_000)]
    public int SnapshotCacheMilliseconds { get; set; } = 500;

    public TimeSpan FlushInterval => TimeSpan.FromMilliseconds(FlushMilliseconds);

    public TimeSpan ReconcileInterval => TimeSpan.FromSeconds(ReconcileSeconds);

    public TimeSpan ReconcileLag => TimeSpan.FromSeconds(ReconcileLagSeconds);
}
