using MathNet.Numerics.Distributions;

namespace BallOrleans.Tests.Stats.Validity;

/// <summary>
/// How many of n independent simulated experiments may show an event whose probability is p before
/// the simulation says p was wrong. A simulation's rate is itself a binomial draw: asserting "at
/// most α" on the observed share would fail a valid check by bad luck about half the time when its
/// rate is exactly α. These bounds fail a claim that holds with probability at most
/// <see cref="Tail"/> per bound, and the seeds are fixed, so a passing run passes every time.
/// </summary>
public static class BinomialBound
{
    /// <summary>The chance that a true claim fails one bound.</summary>
    public const double Tail = 0.001;

    /// <summary>The smallest k with P(X &gt; k) ≤ <see cref="Tail"/>, X ~ Binomial(n, p): more than k events disprove "rate ≤ p".</summary>
    public static int Most(int n, double p)
    {
        for (var k = 0; k < n; k++)
        {
            if (1 - Binomial.CDF(p, n, k) <= Tail)
            {
                return k;
            }
        }

        return n;
    }

    /// <summary>The largest k with P(X &lt; k) ≤ <see cref="Tail"/>, X ~ Binomial(n, p): fewer than k events disprove "rate ≥ p".</summary>
    public static int Fewest(int n, double p)
    {
        for (var k = n; k > 0; k--)
        {
            if (Binomial.CDF(p, n, k - 1) <= Tail)
            {
                return k;
            }
        }

        return 0;
    }
}
