using System.Diagnostics;
using System.Net;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Visits;

/// <summary>What a request for the ball page resolved to.</summary>
public sealed record PageVisit(BallColor Color, long Views, bool Counted, string? NewVisitorId);

/// <summary>
/// Turns a request into grain calls: a returning visitor's id goes to their grain; a missing,
/// mangled or unknown id gets a freshly minted visitor, unless its address is over its limit.
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
    /// The page to show, or null when the grain said storage failed (not counted; the caller
    /// answers 503). Throws when the visit could not be confirmed (the cluster did not answer
    /// within the retry deadline, or a commit's answer was lost): then it may have been counted.
    /// <paramref name="userAgent"/> is read only for a new visitor (their browser family is stored).
    /// </summary>
    public async Task<PageVisit?> VisitAsync(
        string? cookieId, bool counts, IPAddress? client, string? userAgent = null, CancellationToken aborted = default)
    {
        if (!counts)
        {
            return await PeekAsync(cookieId);
        }

        if (cookieId is not null)
        {
            var visitor = grains.GetGrain<IVisitorGrain>(cookieId);
            var returning = await WithRetriesAsync((requestId, soleUntil) => visitor.VisitAsync(firstVisit: false, requestId, soleAttemptUntil: soleUntil), aborted);
            if (returning.StorageFailed)
            {
                return null;
            }

            if (returning.View is { } view)
            {
                return new PageVisit(view.Color, view.Views, Counted: true, NewVisitorId: null);
            }
        }

        if (!limit.TryMint(client))
        {
            return Newcomer();
        }

        // A new visitor's first visit is stored without activating their grain (see FirstVisitGrain).
        var id = VisitorId.NewId();
        var browser = BrowserFamilies.Of(userAgent);
        var firstVisits = grains.GetGrain<IFirstVisitGrain>(Random.Shared.Next(IFirstVisitGrain.Spread));
        var first = await WithRetriesAsync((requestId, soleUntil) => firstVisits.VisitAsync(id, requestId, browser, soleUntil), aborted);
        return first.View is { } fresh ? new PageVisit(fresh.Color, fresh.Views, Counted: true, NewVisitorId: id) : null;
    }

    /// <summary>
    /// Runs one visit, retrying transient cluster failures with the same request id, so that it
    /// counts once. Throws <see cref="VisitNotConfirmedException"/> when the grain could not
    /// confirm it, and when an attempt that may have been counted was followed by one that failed
    /// (a "storage failed" or a database error then no longer means "not counted"). The first
    /// attempt tells the grain until when it is the only one (the grain then need not doubt it);
    /// later ones cannot.
    /// </summary>
    private async Task<VisitResult> WithRetriesAsync(Func<Guid, long, Task<VisitResult>> visit, CancellationToken aborted)
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
                var result = await WithinAttemptTimeout(visit(requestId, soleUntil));
                return result.MayHaveCounted || (result.StorageFailed && mayHaveCounted) ? throw new VisitNotConfirmedException() : result;
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
            catch (Exception ex) when (mayHaveCounted && ex is not VisitNotConfirmedException && !aborted.IsCancellationRequested)
            {
                throw new VisitNotConfirmedException(ex);
            }
        }
    }

    /// <summary>
    /// The attempt's answer, or a <see cref="TimeoutException"/> once <see cref="VisitOptions.AttemptTimeout"/>
    /// has passed (Orleans' own timeout, <c>Orleans:CallTimeout</c>, is longer, and is checked only once a second).
    /// </summary>
    private async Task<VisitResult> WithinAttemptTimeout(Task<VisitResult> attempt)
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

    // Not counted: show what the visitor has, or what a newcomer would get, and store nothing.
    private async Task<PageVisit> PeekAsync(string? cookieId)
    {
        if (cookieId is not null && (await grains.GetGrain<IVisitorGrain>(cookieId).PeekAsync()).View is { } view)
        {
            return new PageVisit(view.Color, view.Views, Counted: false, NewVisitorId: null);
        }

        return Newcomer();
    }

    private PageVisit Newcomer() => new(assignment.ColorFor(VisitorId.NewId()), 0, Counted: false, NewVisitorId: null);
}
