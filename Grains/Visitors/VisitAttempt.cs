namespace BallOrleans.Grains.Visitors;

/// <summary>
/// One attempt of a visit, as a caller sends it to a grain: every attempt of one visit carries the
/// same <see cref="RequestId"/> (made by <see cref="VisitRequestId.New"/> when the visit begins),
/// so a retry counts once.
/// </summary>
/// <param name="RequestId">The visit's id; it also carries when the visit began.</param>
/// <param name="SoleAttemptUntil">
/// When (Unix ms) the caller stops waiting for this attempt and may send another; 0 when another may
/// already have been sent. See <see cref="VisitorState.MayHaveCounted"/> for why it matters.
/// </param>
[GenerateSerializer, Immutable, Alias("ball.VisitAttempt")]
public sealed record VisitAttempt([property: Id(0)] Guid RequestId, [property: Id(1)] long SoleAttemptUntil = 0)
{
    /// <summary>The only attempt of a new visit, by a caller that never retries.</summary>
    public static VisitAttempt Once() => new(VisitRequestId.New());
}
