using BallOrleans.Grains.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Privacy;

/// <summary>
/// Erases visitors not seen for <see cref="RetentionOptions.Days"/> days: at activation and then
/// every <see cref="RetentionOptions.IntervalHours"/>: one scan finds them, then they go in batches
/// of <see cref="RetentionOptions.BatchSize"/>, each its own transaction. The rows go as in a forget
/// (<see cref="VisitorEraser"/>), so the stats lose the same things. Erasing twice is harmless,
/// so a new activation (its silo died) simply runs again, and a batch whose outcome is unknown is
/// sent again until it is known (<see cref="VisitorEraser.EraseUntilKnownAsync"/>); one that stays
/// unknown ends the run, and the next run finds whoever it left.
/// </summary>
public sealed class RetentionGrain(
    VisitorEraser eraser, IOptions<RetentionOptions> options, TimeProvider clock, ILogger<RetentionGrain> logger) : Grain, IRetentionGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Days > 0)
        {
            var interval = TimeSpan.FromHours(o.IntervalHours);
            this.RegisterGrainTimer(RunAsync, new GrainTimerCreationOptions(TimeSpan.FromMinutes(1), interval) { KeepAlive = true });
        }

        return Task.CompletedTask;
    }

    public Task StartAsync() => Task.CompletedTask;

    public async Task<long> EraseExpiredAsync()
    {
        var o = options.Value;
        if (o.Days == 0)
        {
            return 0;
        }

        var cutoff = clock.GetUtcNow() - TimeSpan.FromDays(o.Days);
        var expired = await eraser.NotSeenSinceAsync(cutoff);
        long erased = 0;
        foreach (var batch in expired.Chunk(o.BatchSize))
        {
            erased += await eraser.EraseUntilKnownAsync(batch, notSeenSince: cutoff, ErasureReason.Retention);
        }

        if (erased > 0)
        {
            logger.LogInformation("Retention: erased {Visitors} visitors not seen since {Cutoff:u}", erased, cutoff);
        }

        return erased;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EraseExpiredAsync();
        }
        catch (Exception ex)
        {
            // Batches already done stay done; the rest waits for the next run.
            logger.LogWarning("Retention run failed; retrying at the next one: {Reason}", LogRedaction.Redact(ex.Message));
        }
    }
}
