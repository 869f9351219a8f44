namespace BallOrleans.Web.Stats;

/// <summary>A closed interval of a figure.</summary>
public readonly record struct Interval(double Low, double High)
{
    public bool Contains(double value) => Low <= value && value <= High;

    /// <summary>True when 0 is outside: the interval says the two arms differ.</summary>
    public bool ExcludesZero => Low > 0 || High < 0;

    public static Interval Around(double centre, double halfWidth) => new(centre - halfWidth, centre + halfWidth);
}

/// <summary>
/// One arm's mean of a per-visitor metric, its standard error and its 95% interval at a horizon
/// fixed in advance: mean ± 1.96 · SE (normal approximation; visitors independent).
/// </summary>
public sealed record ArmEstimate(long Visitors, double Mean, double StandardError, Interval FixedHorizon)
{
    /// <summary>The estimate of <paramref name="arm"/>, or null with fewer than <see cref="NormalMixtureBoundary.MinimumPerArm"/> visitors.</summary>
    public static ArmEstimate? Of(ArmSums arm) => arm.Visitors < NormalMixtureBoundary.MinimumPerArm
        ? null
        : new(arm.Visitors, arm.Mean, arm.StandardError, Interval.Around(arm.Mean, NormalMixtureBoundary.FixedHorizon * arm.StandardError));
}
