namespace BallOrleans.Grains.Visitors;

/// <summary>
/// What became of a visit: one of four cases, from the grain to the HTTP answer
/// (<c>Web/Visits/VisitEndpoints.cs</c> maps each to its response in one switch).
/// </summary>
/// <remarks>Closed: the constructor is private, so the four nested records are the only cases.</remarks>
[GenerateSerializer, Immutable, Alias("ball.VisitOutcome")]
public abstract record VisitOutcome
{
    private VisitOutcome()
    {
    }

    /// <summary>The view was counted and is committed.</summary>
    [GenerateSerializer, Immutable, Alias("ball.VisitOutcome.Counted")]
    public sealed record Counted([property: Id(0)] VisitorView View) : VisitOutcome
    {
        /// <summary>
        /// Set by the web tier when this visit stored a visitor it has just minted (their cookie is
        /// to be set). Not serialized: grains never send it.
        /// </summary>
        [field: NonSerialized]
        public string? NewVisitorId { get; init; }
    }

    /// <summary>Not known here: the id was never minted, or the visitor was erased. Nothing was stored.</summary>
    [GenerateSerializer, Immutable, Alias("ball.VisitOutcome.UnknownVisitor")]
    public sealed record UnknownVisitor : VisitOutcome
    {
        /// <summary>
        /// Set by the web tier when it then could not mint a visitor either: the limit that
        /// refused (per address, or the instance's). Not serialized: grains never send it.
        /// </summary>
        [field: NonSerialized]
        public Stats.ExposureReason? LimitedBy { get; init; }
    }

    /// <summary>Storage refused the visit: nothing was counted, and a retry at once would not help.</summary>
    [GenerateSerializer, Immutable, Alias("ball.VisitOutcome.NotStored")]
    public sealed record NotStored : VisitOutcome;

    /// <summary>It may have been counted, but nobody can say (a commit whose answer was lost, an attempt too late to tell).</summary>
    [GenerateSerializer, Immutable, Alias("ball.VisitOutcome.Unconfirmed")]
    public sealed record Unconfirmed : VisitOutcome;
}
