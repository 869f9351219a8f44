using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// The one aggregate of every visitor. The read model, its totals and the visits per minute are
/// written by PostgreSQL triggers in the same transaction as each visit (004_stats_triggers.sql);
/// this grain only reads the summed totals back, once per <see cref="StatsOptions.RefreshInterval"/>,
/// and answers the stats view from memory. A slower timer runs the safety-net reconciliation.
/// </summary>
public sealed class ReportGrain(
    StatsStore store,
    ReadModelFromGrainState healer,
    IOptions<StatsOptions> options,
    IOptions<ClusterOptions> cluster,
    ILogger<ReportGrain> logger) : Grain, IReportGrain
{
    private StatsSnapshot? _snapshot;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _snapshot = await store.LoadSnapshotAsync(cancellationToken);
        var o = options.Value;
        this.RegisterGrainTimer(RefreshAsync, new GrainTimerCreationOptions(o.RefreshInterval, o.RefreshInterval) { KeepAlive = true });
        // Reconcile at once: an activation after a crash or a restore is when something may be missing.
        this.RegisterGrainTimer(ReconcileOnTimerAsync, new GrainTimerCreationOptions(TimeSpan.Zero, o.ReconcileInterval) { KeepAlive = true });
    }

    public async Task<StatsSnapshot> GetStatsAsync() =>
        _snapshot ??= await store.LoadSnapshotAsync();

    public async Task<int> ReconcileAsync()
    {
        var healed = await healer.ReconcileAsync(cluster.Value.ServiceId);
        if (healed > 0)
        {
            // The triggers keep the read model in step with every write, so this should stay at
            // zero: a correction means grain state was written with the triggers off (a restore,
            // replication) or the read model was edited by hand.
            logger.LogWarning("Stats reconciliation corrected {Rows} visitor rows from grain state", healed);
        }

        _snapshot = await store.LoadSnapshotAsync();
        return healed;
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            _snapshot = await store.LoadSnapshotAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // The last snapshot stays in use; its AsOf tells readers how old it is.
            logger.LogWarning("Stats refresh failed; retrying on the next tick: {Reason}", ex.Message);
        }
    }

    private async Task ReconcileOnTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReconcileAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning("Stats reconciliation failed; retrying on the next tick: {Reason}", ex.Message);
        }
    }
}
