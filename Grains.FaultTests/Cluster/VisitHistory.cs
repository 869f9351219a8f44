using System.Collections.Concurrent;

namespace BallOrleans.Tests.Cluster;

/// <summary>What a visitor was told about one visit, as the load saw it (not the grain's <c>BallOrleans.Grains.Visitors.VisitOutcome</c>).</summary>
public enum VisitorSaw
{
    /// <summary>200 with a count: the visit is stored.</summary>
    Counted,

    /// <summary>The site said the visit was not counted (storage refused it, or a newcomer was not minted).</summary>
    NotCounted,

    /// <summary>503 saying the outcome is unknown: it may or may not have been counted.</summary>
    Unknown,

    /// <summary>Any other answer (a 500, a 503 that does not say which): a failure, and the count is unknown.</summary>
    Failed,

    /// <summary>No answer at all (connection refused or reset, or the client gave up): the worst a visitor can get.</summary>
    NoAnswer,
}

/// <summary>
/// One visit as its visitor lived it: who (null when a newcomer got no cookie), when it started
/// and ended (since the load began), the HTTP status (0: none), what the site said, and the count
/// shown (0 unless counted).
/// </summary>
public sealed record Visit(string? Visitor, bool Newcomer, TimeSpan Start, TimeSpan End, int Status, VisitorSaw Outcome, long Count)
{
    public TimeSpan Took => End - Start;

    /// <summary>The site did not say "counted"; some of these may still have been.</summary>
    public bool IsError => Outcome != VisitorSaw.Counted;

    /// <summary>May have added a view: everything but a definite "not counted".</summary>
    public bool MayHaveCounted => Outcome != VisitorSaw.NotCounted;
}

/// <summary>Every visit of a load, in the order they ended; safe to add to from many workers.</summary>
public sealed class VisitHistory
{
    private readonly ConcurrentQueue<Visit> _visits = new();

    public IReadOnlyCollection<Visit> Visits => _visits;

    public void Add(Visit visit) => _visits.Enqueue(visit);

    /// <summary>The visits of each visitor who has an id (returning visitors and newcomers who got their cookie).</summary>
    public ILookup<string, Visit> ByVisitor() =>
        _visits.Where(v => v.Visitor is not null).ToLookup(v => v.Visitor!);

    /// <summary>Newcomers' first visits that may have stored a visitor whose cookie never reached them.</summary>
    public int UnconfirmedNewcomers => _visits.Count(v => v.Newcomer && v.Visitor is null && v.MayHaveCounted);
}
