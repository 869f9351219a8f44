namespace BallOrleans.Web.Stats;

/// <summary>
/// One arm's figures for a per-visitor metric (views per visitor): visitors, the sum of their
/// values and the sum of their squares, all that a mean, its standard error and the intervals
/// of <see cref="ArmEstimate"/> and <see cref="ArmDifference"/> need. Sums are doubles: exact for
/// integer views up to 2⁵³, and a sum of squares of a million visitors stays far below that.
/// </summary>
public readonly record struct ArmSums(long Visitors, double Sum, double SumOfSquares)
{
    public double Mean => Sum / Visitors;

    /// <summary>The sample variance (n − 1 in the denominator); never below 0, whatever the rounding.</summary>
    public double Variance => Visitors < 2 ? double.NaN : Math.Max(0, (SumOfSquares - Sum * Sum / Visitors) / (Visitors - 1));

    /// <summary>The standard error of <see cref="Mean"/>: √(variance / n).</summary>
    public double StandardError => Math.Sqrt(Variance / Visitors);

    /// <summary>These sums with one more visitor whose value is <paramref name="value"/>.</summary>
    public ArmSums Add(double value) => new(Visitors + 1, Sum + value, SumOfSquares + value * value);
}
