using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// The one aggregate of every visitor. The totals, days and visits per minute are written in the
/// same transaction as each visit (<c>ball_stats_apply</c>, Storage/Functions/visitors.sql); this
/// grain only reads the summed totals back, once per <see cref="StatsOptions.RefreshInterval"/>,
/// and answers the stats view from memory. Once a minute it prunes the minutes nobody reads.
/// </summary>
public sealed class ReportGrain(StatsStore store, IOptions<StatsOptions> options, TimeProvider clock, ILogger<ReportGrain> logger)
    : Grain, IReportGrain
{
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    private StatsSnapshot? _snapshot;
    private DateTimeOffset _pruned;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _snapshot = await store.LoadSnapshotAsync(cancellationToken);
        var o = options.Value;
        this.RegisterGrainTimer(RefreshOnTimerAsync, new GrainTimerCreationOptions(o.RefreshInterval, o.RefreshInterval) { KeepAlive = true });
    }

    public async Task<StatsSnapshot> GetStatsAsync() =>
        _snapshot ??= await store.LoadSnapshotAsync();

    public async Task<StatsSnapshot> RefreshAsync() =>
        _snapshot = await store.LoadSnapshotAsync();

    private async Task RefreshOnTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            _snapshot = await store.LoadSnapshotAsync(cancellationToken);
            if (clock.GetUtcNow() - _pruned >= PruneInterval)
            {
                await store.PruneMinutesAsync(cancellationToken);
                _pruned = clock.GetUtcNow();
            }
        }
        catch (Exception ex)
        {
            // The last snapshot stays in use; its AsOf tells readers how old it is.
            logger.LogWarning("Stats refresh failed; retrying on the next tick: {Reason}", ex.Message);
        }
    }
}
