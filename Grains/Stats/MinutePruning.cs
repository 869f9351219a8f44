using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Deletes the visits per minute older than the hour the stats show, on every silo, once it is
/// up and every <see cref="StatsOptions.PruneInterval"/> after. Each visit adds to its minute's
/// rows, so without this <c>ball_visits_per_minute</c> grows for as long as the site runs; the
/// report grain cannot do it, as it is active only while someone reads the stats. Pruning is
/// idempotent, and <c>ball_stats_prune_minutes</c> lets one silo at a time delete, so N silos
/// cost N cheap calls per interval, not N times the work.
/// </summary>
internal sealed class MinutePruning(StatsStore store, IOptions<StatsOptions> options, ILogger<MinutePruning> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MinutePruning), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => PruneAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop;
    }

    private async Task PruneAsync(CancellationToken stopping)
    {
        var interval = options.Value.PruneInterval;
        using var timer = new PeriodicTimer(interval);
        var failures = 0;
        try
        {
            do
            {
                try
                {
                    await store.PruneMinutesAsync(stopping);
                    if (failures > 0)
                    {
                        logger.LogInformation("Pruning the visits per minute works again, after {Failures} failed tries", failures);
                        failures = 0;
                    }
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    // Once per outage: the stats refresh and the visits already say the database
                    // is failing, and a line every interval would add nothing to that.
                    if (failures++ == 0)
                    {
                        logger.LogWarning("Pruning the visits per minute failed; trying again every {Interval}: {Reason}", interval, ex.Message);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo stops; the other silos, or this one's next start, carry on.
        }
    }
}
