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
    public sealed record Counted([property: Id(0)] VisitorView View) : VisitOutcome;

    /// <summary>Not known here: the id was never minted, or the visitor was erased. Nothing was stored.</summary>
    [GenerateSerializer, Immutable, Alias("ball.VisitOutcome.UnknownVisitor")]
    public sealed record UnknownVisitor : VisitOutcome;

    /// <summary>Storage refused the visit: nothing was counted, and a retry at once would not help.</summary>
    [GenerateSerializer, Immutable, Alias("ball.VisitOutcome.NotCounted")]
    public sealed record NotCounted : VisitOutcome;

    /// <summary>It may have been counted, but nobody can say (a commit whose answer was lost, an attempt too late to tell).</summary>
    [GenerateSerializer, Immutable, Alias("ball.VisitOutcome.Unknown")]
    public sealed record Unknown : VisitOutcome;
}
