using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Deletes the visits per minute older than the hour the stats show, on every silo, every
/// <see cref="StatsOptions.PruneInterval"/>. Each visit adds to its minute's rows, so without this
/// <c>ball_visits_per_minute</c> grows for as long as the site runs; <c>ball_stats_prune_minutes</c>
/// lets one silo at a time delete.
/// </summary>
internal sealed class MinutePruning(StatsStore store, IOptions<StatsOptions> options, ILogger<MinutePruning> logger)
    : SiloChore(options.Value.PruneInterval, logger)
{
    protected override string Name => "Pruning the visits per minute";

    protected override Task RunOnceAsync(CancellationToken stopping) => store.PruneMinutesAsync(stopping);
}
