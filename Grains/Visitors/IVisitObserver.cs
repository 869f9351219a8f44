namespace BallOrleans.Grains.Visitors;

/// <summary>
/// Told about every visit once it is durable. Called on the visitor grain's turn, so an
/// implementation must return at once and never throw (it queues; it does no I/O).
/// </summary>
public interface IVisitObserver
{
    void OnVisitStored(string visitorId, VisitorState state);
}

/// <summary>The observer used when nothing listens to visits.</summary>
public sealed class NoVisitObserver : IVisitObserver
{
    public void OnVisitStored(string visitorId, VisitorState state)
    {
    }
}
