using Orleans.Concurrency;

namespace BallOrleans.Grains.Stats;

/// <summary>The single aggregate of all visitors (key 0): the only writer of the stats read model.</summary>
[Alias("ball.IReportGrain")]
public interface IReportGrain : IGrainWithIntegerKey
{
    /// <summary>Applies one silo's batch of absolute visitor snapshots; an empty batch only keeps the report alive.</summary>
    [Alias("Push")]
    Task PushAsync(Immutable<VisitorSnapshot[]> batch);

    /// <summary>The latest totals, cached; never waits for a write.</summary>
    [Alias("GetStats"), AlwaysInterleave]
    Task<StatsSnapshot> GetStatsAsync();

    /// <summary>Heals the read model from grain state written since the watermark; returns the rows it corrected.</summary>
    [Alias("Reconcile")]
    Task<int> ReconcileAsync();
}
