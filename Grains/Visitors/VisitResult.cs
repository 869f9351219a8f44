namespace BallOrleans.Grains.Visitors;

/// <summary>What a visitor is shown: their color and how many times they have now seen it.</summary>
[GenerateSerializer, Alias("ball.VisitorView")]
public sealed record VisitorView(
    [property: Id(0)] BallColor Color,
    [property: Id(1)] long Views,
    [property: Id(2)] DateTimeOffset FirstSeen);

/// <summary>The answer to a visit: the view, or <see cref="Unknown"/> when the id was never minted here.</summary>
[GenerateSerializer, Alias("ball.VisitResult")]
public sealed record VisitResult([property: Id(0)] VisitorView? View)
{
    public static readonly VisitResult Unknown = new((VisitorView?)null);

    public bool IsUnknown => View is null;
}
