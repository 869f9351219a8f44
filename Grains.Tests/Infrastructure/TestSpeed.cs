namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// The trait of slow tests: fault scenarios, clusters of real processes, browsers, and anything that
/// takes more than about 20 s. <c>./ball test --fast</c> runs the unit tests less these (a filter on
/// <c>Speed!=Slow</c>); CI runs everything.
/// </summary>
public static class TestSpeed
{
    public const string Trait = "Speed";

    public const string Slow = "Slow";
}
