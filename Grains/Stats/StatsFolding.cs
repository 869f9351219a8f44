using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Folds the stats journal into the aggregates, on every silo, every <see cref="StatsOptions.FoldInterval"/>
/// (<c>ball_stats_fold</c>: one silo at a time, the others' calls return at once). Visits journal
/// what they change in the stats in their own statement; until a fold moves the aggregates by it,
/// the stats lag the visitor rows (docs/stats.md, "How the figures are kept").
/// </summary>
internal sealed class StatsFolding(StatsStore store, IOptions<StatsOptions> options, ILogger<StatsFolding> logger)
    : SiloChore(options.Value.FoldInterval, logger)
{
    protected override string Name => "Folding the stats journal";

    protected override Task RunOnceAsync(CancellationToken stopping) => store.FoldJournalAsync(wait: false, stopping);
}
