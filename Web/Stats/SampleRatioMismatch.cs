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
    public static double ChiSquareOneDofSurvival(double x) => x <= 0 ? 1 : Erfc(Math.Sqrt(x / 2));

    /// <summary>The complementary error function, to about 1e-13 relative error.</summary>
    /// <remarks>
    /// .NET has no erfc. Below 2 it is 1 − erf from erf's Maclaurin series
    /// (2/√π Σ (−1)ⁿ x²ⁿ⁺¹ / (n! (2n+1))), whose cancellation costs at most e^(x²) ≈ 55 in
    /// relative terms there. From 2 on it is Laplace's continued fraction
    /// erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up,
    /// which converges fast for large x and has no cancellation.
    /// </remarks>
    public static double Erfc(double x)
    {
        if (x < 0)
        {
            return 2 - Erfc(-x);
        }

        if (x < 2)
        {
            double sum = 0, term = x;
            for (var n = 0; n < 100; n++)
            {
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }

                term *= -x * x / (n + 1);
            }

            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }

        double fraction = x;
        for (var k = 80; k >= 1; k--)
        {
            fraction = x + k / 2.0 / fraction;
        }

        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / fraction;
    }

    private static double Square(double value) => value * value;
}
