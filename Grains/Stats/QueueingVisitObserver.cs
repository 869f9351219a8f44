using BallOrleans.Grains.Visitors;

namespace BallOrleans.Grains.Stats;

/// <summary>Hands each durable visit to this silo's <see cref="VisitQueue"/>: no grain call, no I/O on the visitor's turn.</summary>
public sealed class QueueingVisitObserver(VisitQueue queue) : IVisitObserver
{
    public void OnVisitStored(string visitorId, VisitorState state) =>
        queue.Add(VisitorSnapshot.From(visitorId, state));
}
