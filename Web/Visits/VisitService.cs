using System.Diagnostics;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Options;
using BallOrleans.Web.Limits;

namespace BallOrleans.Web.Visits;

/// <summary>
/// Turns a request into grain calls: a returning visitor's id goes to their grain; a missing,
/// mangled or unknown id gets a freshly minted visitor, unless a new-visitor limit refuses.
/// A call that fails because the cluster is failing over is retried, with the same request id,
/// until <see cref="VisitOptions.RetryDeadline"/>.
/// </summary>
public sealed class VisitService(
    IGrainFactory grains, ColorAssignment assignment, NewVisitorLimit limit, IOptions<VisitOptions> options, ILogger<VisitService> logger)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(500);
    private readonly TimeSpan _deadline = options.Value.RetryDeadline;
    private readonly TimeSpan _attemptTimeout = options.Value.AttemptTimeout;

    /// <summary>
    /// Counts the visit: the grains' outcome, with the minted id when a new visitor was stored, or
    /// the new-visitor limit that refused to mint one (nothing was counted). Throws only when
    /// <paramref name="aborted"/> fires (the client went away).
    /// </summary>
    public async Task<VisitResult> VisitAsync(VisitRequest request, CancellationToken aborted = default)
    {
        if (request.CookieId is { } cookieId)
        {
            var visitor = grains.GetGrain<IVisitorGrain>(cookieId);
            var returning = await WithRetriesAsync(visitor.VisitAsync, aborted);
            if (returning is not VisitOutcome.UnknownVisitor)
            {
                return new VisitResult.Answered(returning);
            }
        }

        if (limit.Refusal(request.Client) is { } refused)
        {
            return new VisitResult.Refused(refused);
        }

        // A new visitor's first visit is stored without activating their grain (see FirstVisitGrain).
        var id = VisitorId.NewId();
        var browser = BrowserFamilies.Of(request.UserAgent);
        var firstVisits = grains.GetGrain<IFirstVisitGrain>(Random.Shared.Next(IFirstVisitGrain.Spread));
        var first = await WithRetriesAsync(attempt => firstVisits.VisitAsync(id, browser, attempt), aborted);
        return new VisitResult.Answered(first, first is VisitOutcome.Counted ? id : null);
    }

    /// <summary>
    /// What the visitor with <paramref name="cookieId"/> would be shown, counting nothing: their
    /// view, or a newcomer's when they are unknown. Null when it could not be read (the caller
    /// answers that nothing was counted).
    /// </summary>
    public async Task<VisitorView?> PeekAsync(string? cookieId, CancellationToken aborted = default)
    {
        if (cookieId is null)
        {
            return Newcomer();
        }

        try
        {
            return await grains.GetGrain<IVisitorGrain>(cookieId).PeekAsync() ?? Newcomer();
        }
        catch (Exception ex) when (!aborted.IsCancellationRequested)
        {
            logger.LogWarning("Visitor could not be read to show their ball: {Error}: {Reason}", ex.GetType().Name, LogRedaction.Redact(ex.Message));
            return null;
        }
    }

    /// <summary>What a newcomer would be shown: a ball by the assignment's odds, no views.</summary>
    public VisitorView Newcomer() => new(assignment.ColorFor(VisitorId.NewId()), 0, DateTimeOffset.UtcNow);

    /// <summary>
    /// Runs one visit, retrying transient cluster failures with the same request id, so that it
    /// counts once. The first attempt tells the grain until when it is the only one (the grain then
    /// need not doubt it); later ones cannot. Once an attempt may have counted (it was lost), a
    /// later refusal or failure no longer means "not counted": the outcome is unconfirmed.
    /// </summary>
    /// <remarks>
    /// A loop of its own, not a Polly pipeline like the storage's retries (Grains/Storage/DatabaseRetries.cs):
    /// each attempt differs from the last (only the first may claim to be the sole one), a retry
    /// changes what the final answer means (a later "not stored" becomes "unconfirmed"), and the
    /// pause shrinks by the time an attempt already waited. A pipeline would carry all three in
    /// its context and callbacks, and the loop says them more plainly.
    /// </remarks>
    private async Task<VisitOutcome> WithRetriesAsync(Func<VisitAttempt, Task<VisitOutcome>> visit, CancellationToken aborted)
    {
        var requestId = VisitRequestId.New();
        var started = Stopwatch.GetTimestamp();
        var backoff = FirstBackoff;
        var mayHaveCounted = false;
        for (var attempt = 1; ; attempt++)
        {
            var attemptStarted = Stopwatch.GetTimestamp();
            try
            {
                var soleUntil = attempt == 1 ? DateTimeOffset.UtcNow.Add(_attemptTimeout).ToUnixTimeMilliseconds() : 0;
                var outcome = await WithinAttemptTimeout(visit(new VisitAttempt(requestId, soleUntil)));
                return outcome is VisitOutcome.NotCounted && mayHaveCounted ? new VisitOutcome.Unknown() : outcome;
            }
            catch (Exception ex) when (ClusterFaults.IsTransient(ex)
                && !aborted.IsCancellationRequested
                && Stopwatch.GetElapsedTime(started) + backoff < _deadline)
            {
                // Only on failures, so not on the hot path: the cluster is changing under us.
                logger.LogDebug("Visit attempt {Attempt} failed ({Error}); retrying", attempt, ex.GetType().Name);
                mayHaveCounted = true;
                // A quick refusal waits before the next try; an attempt that timed out has waited already.
                var pause = backoff - Stopwatch.GetElapsedTime(attemptStarted);
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, aborted);
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
            catch (Exception ex) when (!aborted.IsCancellationRequested)
            {
                return Failed(ex, mayHaveCounted);
            }
        }
    }

    /// <summary>
    /// The outcome of a visit whose last attempt threw. A database failure before any attempt could
    /// have counted is not stored (an outage fails every visit; its stack trace says nothing new).
    /// Anything else (cluster trouble that outlasted the retry deadline, a failure we did not expect,
    /// or any failure after a lost attempt) may have been counted without our hearing of it.
    /// </summary>
    private VisitOutcome Failed(Exception ex, bool mayHaveCounted)
    {
        if (!mayHaveCounted && DatabaseFailure.IsCauseOf(ex))
        {
            logger.LogWarning("Visit not recorded, database unavailable: {Reason}", LogRedaction.Redact(ex.Message));
            return new VisitOutcome.NotCounted();
        }

        if (mayHaveCounted)
        {
            logger.LogWarning("Visit outcome unknown after a lost attempt: {Error}: {Reason}", ex.GetType().Name, LogRedaction.Redact(ex.Message));
        }
        else
        {
            // Orleans names the called grain, whose key is the visitor id, in its exceptions' messages.
            logger.LogWarning("Visit outcome unknown: {Exception}", LogRedaction.Describe(ex));
        }

        return new VisitOutcome.Unknown();
    }

    /// <summary>
    /// The attempt's answer, or a <see cref="TimeoutException"/> once <see cref="VisitOptions.AttemptTimeout"/>
    /// has passed (Orleans' own timeout, <c>Orleans:CallTimeout</c>, is longer, and is checked only once a second).
    /// </summary>
    private async Task<VisitOutcome> WithinAttemptTimeout(Task<VisitOutcome> attempt)
    {
        try
        {
            return await attempt.WaitAsync(_attemptTimeout);
        }
        catch (TimeoutException) when (!attempt.IsCompleted)
        {
            // Abandoned, not cancelled: its late failure (Orleans' timeout) needs an observer.
            _ = attempt.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            throw;
        }
    }
}
