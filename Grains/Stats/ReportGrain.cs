using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Configuration;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// The one aggregate of every visitor. Its state is the read model in PostgreSQL: each push is
/// applied there in one transaction, and the totals it answers with are what that transaction
/// left. A timer heals what a crashed silo never pushed by re-reading recent grain state.
/// </summary>
public sealed class ReportGrain(
    StatsStore store,
    ReadModelHealer healer,
    IOptions<StatsOptions> options,
    IOptions<ClusterOptions> cluster,
    ILogger<ReportGrain> logger) : Grain, IReportGrain
{
    private StatsSnapshot? _snapshot;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _snapshot = await store.LoadSnapshotAsync(cancellationToken);
        // Reconcile at once: an activation after a crash is exactly when something may be missing.
        this.RegisterGrainTimer(ReconcileOnTimerAsync,
            new GrainTimerCreationOptions(TimeSpan.Zero, options.Value.ReconcileInterval) { KeepAlive = true });
    }

    public async Task PushAsync(Immutable<VisitorSnapshot[]> batch)
    {
        if (batch.Value.Length > 0)
        {
            _snapshot = await store.ApplyAsync(batch.Value);
        }
    }

    public async Task<StatsSnapshot> GetStatsAsync() =>
        _snapshot ??= await store.LoadSnapshotAsync();

    public async Task<int> ReconcileAsync()
    {
        var healed = await healer.ReconcileAsync(cluster.Value.ServiceId);
        if (healed > 0)
        {
            // Normal right after a silo crash; steadily above zero means batches are being lost.
            logger.LogInformation("Stats reconciliation corrected {Rows} visitor rows from grain state", healed);
        }

        // Also picks up a rebuild or a seed done by a command outside the cluster.
        _snapshot = await store.LoadSnapshotAsync();
        return healed;
    }

    private async Task ReconcileOnTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReconcileAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Stats reconciliation failed; retrying on the next tick");
        }
    }
}
