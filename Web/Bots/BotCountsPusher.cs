using BallOrleans.Grains.Bots;

namespace BallOrleans.Web.Bots;

/// <summary>
/// Pushes this process's bot counts to <see cref="IBotReportGrain"/> every few seconds, so any
/// process's <c>/stats</c> can show the sum. A failed push is retried at the next tick: the counts
/// pushed are running totals, so nothing is lost but a few seconds of freshness.
/// </summary>
public sealed class BotCountsPusher(IBotTally tally, IGrainFactory grains, ILogger<BotCountsPusher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await grains.GetGrain<IBotReportGrain>(0).PushAsync(tally.Process, tally.Snapshot());
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogDebug("Bot counts not pushed ({Error}); next try in {Interval}", ex.GetType().Name, Interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the counts end with the process.
        }
    }
}
