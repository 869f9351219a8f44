using BallOrleans.Grains.Visitors;

namespace BallOrleans.Grains.Stats;

/// <summary>A visitor's absolute state after a durable visit: what the read model stores, keyed by the (secret) visitor id.</summary>
[GenerateSerializer, Immutable, Alias("ball.VisitorSnapshot")]
public sealed record VisitorSnapshot(
    [property: Id(0)] string VisitorId,
    [property: Id(1)] BallColor Color,
    [property: Id(2)] long RedViews,
    [property: Id(3)] long BlueViews,
    [property: Id(4)] DateTimeOffset FirstSeen,
    [property: Id(5)] DateTimeOffset LastSeen)
{
    public long Views => RedViews + BlueViews;

    public static VisitorSnapshot From(string visitorId, VisitorState state) =>
        new(visitorId, state.Color, state.RedViews, state.BlueViews, state.FirstSeen, state.LastSeen);
}
