using BallOrleans.Grains.Privacy;
using Orleans.Concurrency;

namespace BallOrleans.Grains.Visitors;

/// <summary>One visitor, keyed by the id in their cookie (see <see cref="VisitorId"/>).</summary>
[Alias("ball.IVisitorGrain")]
public interface IVisitorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Counts one view and returns what to show, once the count is durable. With
    /// <paramref name="firstVisit"/> false, an id that has no stored state is answered with
    /// <see cref="VisitResult.Unknown"/> and nothing is stored. <paramref name="requestId"/> makes
    /// retries safe: a visit whose id was already counted answers the stored view and counts
    /// nothing, even on a new activation after the silo that counted it died. A visitor stored
    /// by this visit keeps <paramref name="browser"/> for the stats' segments.
    /// <paramref name="requestId"/> should be made by <see cref="VisitRequestId.New"/> when the visit
    /// begins; <paramref name="soleAttemptUntil"/> is when (Unix ms) the caller stops waiting for
    /// this attempt and may send another, or 0 when another may already have been sent (see
    /// <see cref="VisitorState.MayHaveCounted"/> for why it matters).
    /// </summary>
    [Alias("Visit")]
    Task<VisitResult> VisitAsync(bool firstVisit, Guid requestId, BrowserFamily? browser = null, long soleAttemptUntil = 0);

    /// <summary>
    /// Erases the visitor: their row is deleted, and in the same transaction they leave the
    /// totals and the days, and the erasure ledger books them under <paramref name="reason"/>.
    /// The grain then deactivates; a later visit with this id is unknown. Returns whether there
    /// was anything to erase.
    /// </summary>
    [Alias("Forget")]
    Task<bool> ForgetAsync(ErasureReason reason);

    /// <summary>What the visitor would be shown, without counting a view.</summary>
    [Alias("Peek"), ReadOnly]
    Task<VisitResult> PeekAsync();

    /// <summary>The whole stored state (null when the visitor is unknown); for tests and tools.</summary>
    [Alias("GetState"), ReadOnly]
    Task<VisitorState?> GetStateAsync();
}
