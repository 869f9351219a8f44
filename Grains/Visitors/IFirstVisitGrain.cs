namespace BallOrleans.Grains.Visitors;

/// <summary>Stores the first visit of a just-minted visitor id without activating its <see cref="IVisitorGrain"/>.</summary>
[Alias("ball.IFirstVisitGrain")]
public interface IFirstVisitGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Callers pick a key below this at random. A client sends all calls to one grain id through
    /// one gateway; several ids spread first visits over every silo the client knows.
    /// </summary>
    const int Spread = 16;

    /// <summary>
    /// Counts the first view of <paramref name="visitorId"/> and returns what to show, once it is
    /// durable. A retry with the same <paramref name="requestId"/> counts nothing more.
    /// <paramref name="browser"/> is kept with the visitor for the stats' segments;
    /// <paramref name="soleAttemptUntil"/> is as for <see cref="IVisitorGrain.VisitAsync"/>.
    /// </summary>
    [Alias("Visit")]
    Task<VisitResult> VisitAsync(string visitorId, Guid requestId, BrowserFamily? browser = null, long soleAttemptUntil = 0);
}
