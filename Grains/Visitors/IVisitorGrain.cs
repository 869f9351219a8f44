using BallOrleans.Grains.Privacy;
using Orleans.Concurrency;

namespace BallOrleans.Grains.Visitors;

/// <summary>One visitor, keyed by the id in their cookie (see <see cref="VisitorId"/>).</summary>
/// <remarks>
/// A returning visitor's visits come here; a new visitor's first one goes to
/// <see cref="IFirstVisitGrain"/>, which stores it without activating this grain.
/// </remarks>
[Alias("ball.IVisitorGrain")]
public interface IVisitorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Counts one view and answers <see cref="VisitOutcome.Counted"/> once the count is committed.
    /// An id with no stored state (never minted, or erased) is <see cref="VisitOutcome.UnknownVisitor"/>
    /// and nothing is stored. The attempt's request id makes retries safe: a visit whose id was
    /// already counted answers the view it was shown and counts nothing, even on a new activation
    /// after the silo that counted it died.
    /// </summary>
    [Alias("VisitAttempt")]
    Task<VisitOutcome> VisitAsync(VisitAttempt attempt);

    /// <summary>
    /// Erases the visitor: their row is deleted, and in the same transaction they leave the
    /// totals and the days, and the erasure ledger books them under <paramref name="reason"/>.
    /// The grain then deactivates; a later visit with this id is unknown. One attempt: an
    /// <see cref="ErasureOutcome.Unknown"/> one is settled by calling again (erasing is idempotent).
    /// </summary>
    /// <remarks>A new alias: the call once answered a bool, which an outcome cannot be read as.</remarks>
    [Alias("ForgetOutcome")]
    Task<ErasureOutcome> ForgetAsync(ErasureReason reason);

    /// <summary>What the visitor would be shown, without counting a view; null when they are unknown.</summary>
    [Alias("PeekView"), ReadOnly]
    Task<VisitorView?> PeekAsync();
}
