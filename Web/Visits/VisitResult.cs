using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Visits;

/// <summary>
/// What <see cref="VisitService"/> made of a request: the grains' <see cref="VisitOutcome"/> with
/// what only the web tier knows beside it, or a refusal before any grain was asked. Kept apart
/// from <see cref="VisitOutcome"/>, the grain contract, so that nothing on the wire carries a
/// field that only this process fills in.
/// </summary>
public abstract record VisitResult
{
    private VisitResult()
    {
    }

    /// <summary>
    /// The grains answered. <paramref name="MintedId"/> is set when this visit stored a visitor the
    /// web tier has just minted: their cookie is to be set.
    /// </summary>
    public sealed record Answered(VisitOutcome Outcome, string? MintedId = null) : VisitResult;

    /// <summary>No visitor could be minted: <paramref name="Limit"/> refused. Nothing was stored.</summary>
    public sealed record Refused(ExposureReason Limit) : VisitResult;
}
