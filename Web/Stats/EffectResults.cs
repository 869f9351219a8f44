namespace BallOrleans.Web.Stats;

/// <summary>
/// The effect on views per visitor, as <c>/stats</c> shows it above the waterfall and
/// <c>/api/stats</c> returns it under <c>results</c>: each arm's mean with its standard error and
/// fixed-horizon interval, and blue against red, absolute and relative, with both intervals
/// (<see cref="ArmDifference"/>). Over the visitors first seen in the range who remain: their
/// lifetime views, uncapped.
/// </summary>
public sealed record EffectResults(DateOnly From, DateOnly To, ArmEstimate? Red, ArmEstimate? Blue, ArmDifference? Difference)
{
    public static EffectResults Of(RangeStats range) =>
        new(range.From, range.To, ArmEstimate.Of(range.RedViews), ArmEstimate.Of(range.BlueViews), ArmDifference.Of(range.RedViews, range.BlueViews));
}
