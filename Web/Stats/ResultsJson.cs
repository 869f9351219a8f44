namespace BallOrleans.Web.Stats;

/// <summary>One arm under <c>results</c>: visitors, mean views per visitor, its standard error and 95% fixed-horizon interval.</summary>
public sealed record ArmResultJson(long Visitors, double Mean, double StandardError, double[] FixedHorizon)
{
    public static ArmResultJson? From(ArmEstimate? arm) =>
        arm is null ? null : new(arm.Visitors, arm.Mean, arm.StandardError, [arm.FixedHorizon.Low, arm.FixedHorizon.High]);
}

/// <summary>Blue against red under <c>results.difference</c>: the estimate, its standard error, and both 95% intervals as [low, high].</summary>
public sealed record DifferenceJson(double Estimate, double StandardError, double[] FixedHorizon, double[] AnytimeValid)
{
    public static DifferenceJson From(DifferenceInterval d) =>
        new(d.Estimate, d.StandardError, [d.FixedHorizon.Low, d.FixedHorizon.High], [d.AnytimeValid.Low, d.AnytimeValid.High]);
}

/// <summary>The absolute (blue − red) and relative (blue / red − 1) differences.</summary>
public sealed record DifferencesJson(DifferenceJson Absolute, DifferenceJson Relative);

/// <summary>
/// <c>results</c> of <c>/api/stats</c>: views per visitor of the visitors first seen in the range
/// who remain, per arm (null below 100 visitors) and between the arms (null until both arms have
/// 100), at <c>level</c> 0.95 (<see cref="EffectResults"/>).
/// </summary>
public sealed record ResultsJson(string Metric, DateOnly From, DateOnly To, double Level, ArmResultJson? Red, ArmResultJson? Blue, DifferencesJson? Difference)
{
    public static ResultsJson Of(EffectResults results) => new("viewsPerVisitor", results.From, results.To, 1 - NormalMixtureBoundary.Alpha,
        ArmResultJson.From(results.Red), ArmResultJson.From(results.Blue),
        results.Difference is { } d ? new DifferencesJson(DifferenceJson.From(d.Absolute), DifferenceJson.From(d.Relative)) : null);
}
