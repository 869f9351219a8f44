namespace BallOrleans.Grains.Visitors;

/// <summary>What a visitor is shown: their color and how many times they have now seen it.</summary>
[GenerateSerializer, Immutable, Alias("ball.VisitorView")]
public sealed record VisitorView(
    [property: Id(0)] BallColor Color,
    [property: Id(1)] long Views,
    [property: Id(2)] DateTimeOffset FirstSeen);
