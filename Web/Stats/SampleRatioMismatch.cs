using MathNet.Numerics;

namespace BallOrleans.Web.Stats;

/// <summary>
/// The result of a sample-ratio-mismatch check: Pearson's chi-square (one look) and, beside it,
/// the anytime-valid sequential check (<see cref="SequentialSampleRatio"/>) of the same counts,
/// or none (<see cref="Sequential"/> null: a closed day, which is looked at once it is whole).
/// Both are flagged at <see cref="Alpha"/>.
/// </summary>
public sealed record SrmResult(double ChiSquare, double PValue, bool Flagged)
{
    public SequentialSrmResult? Sequential { get; init; }

    /// <summary>The false-alarm rate both tests were flagged at (<see cref="SplitChecks"/> says which check gets which).</summary>
    public double Alpha { get; init; } = SampleRatioMismatch.Threshold;
}

/// <summary>
/// Sample-ratio mismatch between two arms, the way GrowthBook checks it: Pearson's chi-square of
/// the visitors per arm against the configured weights, one degree of freedom, flagged when
/// p &lt; alpha (0.001 unless a family of checks shares it, <see cref="SplitChecks"/>) and only once
/// each arm has at least 8 visitors (below that the chi-square approximation is not trustworthy).
/// </summary>
public static class SampleRatioMismatch
{
    public const double Threshold = 0.001;
    public const long MinimumPerArm = 8;

    /// <summary>Both checks, each flagged at <paramref name="alpha"/> (a share of 0.001 within a family of checks).</summary>
    public static SrmResult Check(long observedA, double weightA, long observedB, double weightB, double alpha) =>
        ChiSquare(observedA, weightA, observedB, weightB, alpha) with
        {
            Sequential = SequentialSampleRatio.Check(observedA, weightA, observedB, weightB, alpha),
        };

    /// <summary>The chi-square alone, at 0.001.</summary>
    public static SrmResult Check(long observedA, double weightA, long observedB, double weightB) =>
        ChiSquare(observedA, weightA, observedB, weightB, Threshold);

    /// <summary>The chi-square alone, flagged at <paramref name="alpha"/>: for one look decided in advance (a closed day).</summary>
    public static SrmResult ChiSquare(long observedA, double weightA, long observedB, double weightB, double alpha)
    {
        var n = observedA + observedB;
        // An arm with no weight gets no new visitors: there is no split to check.
        if (n == 0 || weightA <= 0 || weightB <= 0)
        {
            return new SrmResult(0, 1, false) { Alpha = alpha };
        }

        var expectedA = n * weightA / (weightA + weightB);
        var expectedB = n - expectedA;
        var chiSquare = Square(observedA - expectedA) / expectedA + Square(observedB - expectedB) / expectedB;
        var p = ChiSquareOneDofSurvival(chiSquare);
        var flagged = p < alpha && observedA >= MinimumPerArm && observedB >= MinimumPerArm;
        return new SrmResult(chiSquare, p, flagged) { Alpha = alpha };
    }

    /// <summary>P(X ≥ x) for a chi-square variable with one degree of freedom: erfc(√(x/2)).</summary>
    /// <remarks>
    /// Through erfc rather than 1 − CDF: the p-values that matter here are tiny, and a
    /// subtraction from 1 would round them to 0.
    /// </remarks>
    public static double ChiSquareOneDofSurvival(double x) => x <= 0 ? 1 : SpecialFunctions.Erfc(Math.Sqrt(x / 2));

    private static double Square(double value) => value * value;
}
