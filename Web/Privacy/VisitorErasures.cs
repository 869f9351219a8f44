using System.Diagnostics;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Visits;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Privacy;

/// <summary>
/// Erases a visitor through their grain (<see cref="IVisitorGrain.ForgetAsync"/>) for forget-me and
/// the admin delete, and settles an erasure whose outcome is unknown by erasing again, until the
/// outcome is known or the request's deadline (<see cref="VisitOptions.RetryDeadline"/>) has passed.
/// </summary>
/// <remarks>
/// Erasing is idempotent (an erased visitor has nothing more to erase), so unlike a visit, an
/// erasure that may have happened is simply sent again; the erasure that answers waited for the
/// synchronous standby, so it confirms the earlier one too. A plain loop, as in
/// <see cref="VisitService"/>: what an answer means depends on the attempts before it.
/// </remarks>
public sealed class VisitorErasures(IGrainFactory grains, IOptions<VisitOptions> options, ILogger<VisitorErasures> logger)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(500);
    private readonly TimeSpan _deadline = options.Value.RetryDeadline;

    /// <summary>
    /// Erases <paramref name="visitorId"/>. <see cref="ErasureOutcome.Erased"/> or
    /// <see cref="ErasureOutcome.NothingToErase"/> only after a confirmed commit; a visitor whose
    /// erasure may have happened on an earlier attempt is <see cref="ErasureOutcome.Erased"/> once a
    /// later one finds nothing left. <see cref="ErasureOutcome.NotErased"/> when the database failed
    /// before any attempt could have erased; <see cref="ErasureOutcome.Unknown"/> when the
    /// deadline passed with the outcome still unknown. Throws only when <paramref name="aborted"/> fires.
    /// </summary>
    public async Task<ErasureOutcome> EraseAsync(string visitorId, ErasureReason reason, CancellationToken aborted = default)
    {
        var visitor = grains.GetGrain<IVisitorGrain>(visitorId);
        var started = Stopwatch.GetTimestamp();
        var backoff = FirstBackoff;
        var mayHaveErased = false;
        for (var attempt = 1; ; attempt++)
        {
            var remaining = _deadline - Stopwatch.GetElapsedTime(started);
            try
            {
                switch (await WithinAsync(visitor.ForgetAsync(reason), remaining, aborted))
                {
                    case ErasureOutcome.Erased:
                        return ErasureOutcome.Erased;
                    case ErasureOutcome.NothingToErase:
                        // Nothing left: an earlier attempt of this request may be what erased it.
                        return mayHaveErased ? ErasureOutcome.Erased : ErasureOutcome.NothingToErase;
                    case ErasureOutcome.NotErased when !mayHaveErased:
                        // The database failed before anything could commit: say so now, as a visit does.
                        return ErasureOutcome.NotErased;
                    case ErasureOutcome.NotErased:
                        // This attempt failed, but an earlier one may have erased: still unknown.
                        break;
                    default:
                        mayHaveErased = true;
                        break;
                }
            }
            catch (Exception ex) when (!aborted.IsCancellationRequested)
            {
                if (!mayHaveErased && DatabaseFailure.IsCauseOf(ex))
                {
                    logger.LogWarning("Erasure not done, database unavailable: {Reason}", LogRedaction.Redact(ex.Message));
                    return ErasureOutcome.NotErased;
                }

                // The call was lost (a silo died, the cluster changed, no answer in time): it may
                // have erased. Orleans names the grain, whose key is the visitor id, in its messages.
                logger.LogDebug("Erasure attempt {Attempt} failed ({Error}); erasing again", attempt, ex.GetType().Name);
                mayHaveErased = true;
            }

            if (Stopwatch.GetElapsedTime(started) + backoff >= _deadline)
            {
                logger.LogWarning("Erasure outcome unknown after {Attempts} attempts in {Seconds:F1} s", attempt, Stopwatch.GetElapsedTime(started).TotalSeconds);
                return ErasureOutcome.Unknown;
            }

            await Task.Delay(backoff, aborted);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>
    /// The attempt's answer, or a <see cref="TimeoutException"/> once <paramref name="remaining"/>
    /// has passed: the request's deadline bounds every attempt, Orleans' call timeout only each one.
    /// </summary>
    private static async Task<ErasureOutcome> WithinAsync(Task<ErasureOutcome> attempt, TimeSpan remaining, CancellationToken aborted)
    {
        try
        {
            return await attempt.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, aborted);
        }
        catch (Exception) when (!attempt.IsCompleted)
        {
            // Abandoned, not cancelled: its late failure needs an observer.
            _ = attempt.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            throw;
        }
    }
}
