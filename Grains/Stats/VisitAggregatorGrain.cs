using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// One per silo: every flush interval it drains the silo's <see cref="VisitQueue"/> and pushes
/// the batch to the <see cref="IReportGrain"/>, so the report gets a call per silo per second
/// however many visits there are. A batch the report could not take goes back to the queue.
/// </summary>
[StatelessWorker(1), Reentrant]
public sealed class VisitAggregatorGrain(
    VisitQueue queue, IOptions<StatsOptions> options, ILogger<VisitAggregatorGrain> logger) : Grain, IVisitAggregatorGrain
{
    // Keeps a push per call to a size the report applies in one short statement.
    internal const int MaxBatch = 5000;

    // An idle silo still pings the report every few flushes, so that a report whose silo died
    // is activated again (and heals) without waiting for the next visit.
    private const int KeepAliveFlushes = 5;

    private int _idleFlushes;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var interval = options.Value.FlushInterval;
        this.RegisterGrainTimer(_ => FlushAsync(finalFlush: false), new GrainTimerCreationOptions(interval, interval) { KeepAlive = true });
        return Task.CompletedTask;
    }

    // Deactivated while the silo keeps running: whatever is queued goes now. When the silo itself
    // stops there may be no silo left to take it (a single silo, or the whole cluster stopping),
    // and the report's reconciliation reads the same visits from grain state anyway.
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        reason.ReasonCode == DeactivationReasonCode.ShuttingDown ? Task.CompletedTask : FlushAsync(finalFlush: true);

    public Task StartAsync() => Task.CompletedTask;

    private async Task FlushAsync(bool finalFlush)
    {
        var batch = queue.Drain();
        if (batch.Length == 0 && (finalFlush || ++_idleFlushes < KeepAliveFlushes))
        {
            return;
        }

        _idleFlushes = 0;
        var report = GrainFactory.GetGrain<IReportGrain>(0);
        for (var offset = 0; offset == 0 || offset < batch.Length; offset += MaxBatch)
        {
            var part = batch[offset..Math.Min(batch.Length, offset + MaxBatch)];
            try
            {
                await report.PushAsync(new Immutable<VisitorSnapshot[]>(part));
            }
            catch (Exception ex)
            {
                queue.Requeue(batch[offset..]);
                logger.LogWarning(ex, "Stats: could not push {Count} visitor updates to the report; kept for the next flush", batch.Length - offset);
                return;
            }
        }
    }
}
