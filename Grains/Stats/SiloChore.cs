using Microsoft.Extensions.Logging;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Work that every silo does on a timer, once it is up and every interval after, whether or not
/// anyone reads the stats (the report grain cannot do it: it is active only while someone does).
/// The work must be idempotent and cheap to ask for on every silo: database work lets one silo at
/// a time do it (an advisory try-lock), so N silos cost N cheap calls per interval, not N times
/// the work; waking a grain costs a message to the one activation.
/// </summary>
internal abstract class SiloChore(TimeSpan interval, ILogger logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>What the work is, for the log: "Pruning the visits per minute".</summary>
    protected abstract string Name { get; }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(GetType().Name, ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>False: this silo does not run the chore at all (it is configured off).</summary>
    protected virtual bool Enabled => true;

    protected abstract Task RunOnceAsync(CancellationToken stopping);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (Enabled)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(interval);
        var failures = 0;
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stopping);
                    if (failures > 0)
                    {
                        logger.LogInformation("{Chore} works again, after {Failures} failed tries", Name, failures);
                        failures = 0;
                    }
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    // Once per outage: the stats refresh and the visits already say the database
                    // is failing, and a line every interval would add nothing to that.
                    if (failures++ == 0)
                    {
                        logger.LogWarning("{Chore} failed; trying again every {Interval}: {Reason}", Name, interval, ex.Message);
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
