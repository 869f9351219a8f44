using Orleans.Concurrency;

namespace BallOrleans.Grains.Stats;

/// <summary>The single aggregate of all visitors (key 0): totals and recent visits, kept in memory for the stats view.</summary>
[Alias("ball.IReportGrain")]
public interface IReportGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// The latest totals, never waiting for the database: as of at most <see cref="StatsOptions.RefreshInterval"/>
    /// ago, and lagging the visits by at most <see cref="StatsOptions.FoldInterval"/> more (the journal's fold).
    /// </summary>
    [Alias("GetStats"), AlwaysInterleave]
    Task<StatsSnapshot> GetStatsAsync();

    /// <summary>
    /// Folds the stats journal (waiting for a fold in progress), then reads the totals back: every
    /// visit and erasure that committed before the call is in the answer (after a seed or a rebuild,
    /// and for tests that need the figures exact).
    /// </summary>
    [Alias("Refresh")]
    Task<StatsSnapshot> RefreshAsync();
}
