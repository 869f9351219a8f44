using Orleans.Concurrency;

namespace BallOrleans.Grains.Stats;

/// <summary>The single aggregate of all visitors (key 0): totals and recent visits, kept in memory for the stats view.</summary>
[Alias("ball.IReportGrain")]
public interface IReportGrain : IGrainWithIntegerKey
{
    /// <summary>The latest totals, at most <see cref="StatsOptions.RefreshInterval"/> old; never waits for the database.</summary>
    [Alias("GetStats"), AlwaysInterleave]
    Task<StatsSnapshot> GetStatsAsync();

    /// <summary>Reads the totals back now rather than at the next tick (after a seed or a rebuild).</summary>
    [Alias("Refresh")]
    Task<StatsSnapshot> RefreshAsync();
}
