namespace BallOrleans.Grains.Visitors;

/// <summary>What a visitor is shown: their color and how many times they have now seen it.</summary>
[GenerateSerializer, Alias("ball.VisitorView")]
public sealed record VisitorView(
    [property: Id(0)] BallColor Color,
    [property: Id(1)] long Views,
    [property: Id(2)] DateTimeOffset FirstSeen);

/// <summary>
/// The answer to a visit: the view; <see cref="Unknown"/> when the id was never minted here;
/// <see cref="NotStored"/> when storage failed, so nothing was counted and the caller should not
/// retry at once; or <see cref="Unconfirmed"/> when it may have been counted, but the grain
/// cannot say (a commit whose answer was lost, an attempt that came too late to tell).
/// </summary>
[GenerateSerializer, Alias("ball.VisitResult")]
public sealed record VisitResult(
    [property: Id(0)] VisitorView? View, [property: Id(1)] bool StorageFailed = false, [property: Id(2)] bool MayHaveCounted = false)
{
    public static readonly VisitResult Unknown = new((VisitorView?)null);

    public static readonly VisitResult NotStored = new(null, StorageFailed: true);

    public static readonly VisitResult Unconfirmed = new(null, MayHaveCounted: true);

    public bool IsUnknown => View is null && !StorageFailed && !MayHaveCounted;
}
