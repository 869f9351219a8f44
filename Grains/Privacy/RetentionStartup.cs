using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Privacy;

/// <summary>
/// When <see cref="RetentionOptions.Days"/> is set, wakes the <see cref="IRetentionGrain"/> once
/// the silo is up and every hour after, so that its timer runs somewhere in the cluster even after
/// the silo that held it is gone. Every silo does this; the grain is one.
/// </summary>
internal sealed class RetentionStartup(
    IGrainFactory grains, IOptions<RetentionOptions> options, ILogger<RetentionStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan WakeInterval = TimeSpan.FromHours(1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(RetentionStartup), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Days > 0)
        {
            _loop = Task.Run(() => WakeAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop;
    }

    private async Task WakeAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(WakeInterval);
        try
        {
            do
            {
                try
                {
                    await grains.GetGrain<IRetentionGrain>(0).StartAsync();
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    logger.LogWarning("Retention grain not reached ({Reason}); next try in {Interval}", ex.Message, WakeInterval);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The silo stops; another one keeps the grain.
        }
    }
}
