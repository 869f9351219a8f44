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
    /// Counts the first view of <paramref name="visitorId"/> and answers once it is committed. A
    /// retry of the same attempt counts nothing more. <paramref name="browser"/> is kept with the
    /// visitor for the stats' segments.
    /// </summary>
    [Alias("FirstVisitAttempt")]
    Task<VisitOutcome> VisitAsync(string visitorId, BrowserFamily? browser, VisitAttempt attempt);
}
