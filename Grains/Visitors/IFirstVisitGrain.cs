namespace BallOrleans.Grains.Visitors;

/// <summary>Stores the first visit of a just-minted visitor id without activating its <see cref="IVisitorGrain"/>.</summary>
[Alias("ball.IFirstVisitGrain")]
public interface IFirstVisitGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Counts the first view of <paramref name="visitorId"/> and returns what to show, once it is
    /// durable. A retry with the same <paramref name="requestId"/> counts nothing more.
    /// </summary>
    [Alias("Visit")]
    Task<VisitResult> VisitAsync(string visitorId, Guid requestId);
}
