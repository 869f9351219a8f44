using MathNet.Numerics;

namespace BallOrleans.Web.Stats;

/// <summary>
/// The result of a sample-ratio-mismatch check: Pearson's chi-square (one look) and, beside it,
/// the anytime-valid sequential check (<see cref="SequentialSampleRatio"/>) of the same counts.
/// </summary>
public sealed record SrmResult(double ChiSquare, double PValue, bool Flagged)
{
    public SequentialSrmResult Sequential { get; init; } = new(0, 1, false);
}

/// <summary>
/// Sample-ratio mismatch between two arms, the way GrowthBook checks it: Pearson's chi-square of
/// the visitors per arm against the configured weights, one degree of freedom, flagged when
/// p &lt; 0.001 and only once each arm has at least 8 visitors (below that the chi-square
/// approximation is not trustworthy).
/// </summary>
public static class SampleRatioMismatch
{
    public const double Threshold = 0.001;
    public const long MinimumPerArm = 8;

    /// <summary>Both checks; the sequential one at <paramref name="sequentialAlpha"/> (smaller within a family of segments).</summary>
    public static SrmResult Check(long observedA, double weightA, long observedB, double weightB, double sequentialAlpha) =>
        Check(observedA, weightA, observedB, weightB) with
        {
            Sequential = SequentialSampleRatio.Check(observedA, weightA, observedB, weightB, sequentialAlpha),
        };

    public static SrmResult Check(long observedA, double weightA, long observedB, double weightB)
    {
        var n = observedA + observedB;
        // An arm with no weight gets no new visitors: there is no split to check.
        if (n == 0 || weightA <= 0 || weightB <= 0)
        {
            return new SrmResult(0, 1, false);
        }

        var expectedA = n * weightA / (weightA + weightB);
        var expectedB = n - expectedA;
        var chiSquare = Square(observedA - expectedA) / expectedA + Square(observedB - expectedB) / expectedB;
        var p = ChiSquareOneDofSurvival(chiSquare);
        var flagged = p < Threshold && observedA >= MinimumPerArm && observedB >= MinimumPerArm;
        return new SrmResult(chiSquare, p, flagged);
    }

    /// <summary>P(X ≥ x) for a chi-square variable with one degree of freedom: erfc(√(x/2)).</summary>
    /// <remarks>
    /// Through erfc rather than 1 − CDF: the p-values that matter here are tiny, and a
    /// subtraction from 1 would round them to 0.
    /// </remarks>
    public static double ChiSquareOneDofSurvival(double x) => x <= 0 ? 1 : SpecialFunctions.Erfc(Math.Sqrt(x / 2));

    private static double Square(double value) => value * value;
}
