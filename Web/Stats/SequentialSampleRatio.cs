using BallOrleans.Grains.Stats;
using MathNet.Numerics;

namespace BallOrleans.Web.Stats;

/// <summary>The result of the anytime-valid split check: the log Bayes factor, its p-value, and whether it is flagged (at <see cref="Alpha"/>).</summary>
public sealed record SequentialSrmResult(double LogBayesFactor, double PValue, bool Flagged)
{
    public double Alpha { get; init; } = SequentialSampleRatio.Alpha;

    /// <summary>
    /// The first crossing of this check, stored (the split alert's family only): once there, the
    /// check is <see cref="Flagged"/> whatever the statistic is now. The factor's alpha was spent
    /// at the crossing; falling back under it proves nothing.
    /// </summary>
    public SplitCheckLatch? Latched { get; init; }
}

/// <summary>
/// A sample-ratio-mismatch check that stays valid however often it is looked at: the
/// Dirichlet-multinomial mixture test of Lindon &amp; Malek (2022), "Anytime-Valid Inference for
/// Multinomial Count Data", written from the paper's mathematics.
/// </summary>
/// <remarks>
/// Under the null hypothesis each visitor lands in arm i with the configured share θᵢ. The
/// alternative mixes every other split with a Dirichlet prior αᵢ = c·θᵢ (centred on the null,
/// concentration c). After counts nᵢ (n in all) the ratio of the two marginal likelihoods is
///   BF = Γ(c)/Γ(c+n) · Πᵢ Γ(αᵢ+nᵢ)/Γ(αᵢ) / Πᵢ θᵢ^nᵢ,
/// a nonnegative martingale with mean 1 under the null. By Ville's inequality
/// P(BF ever reaches 1/α) ≤ α, so flagging when BF ≥ 1/α keeps the false-alarm rate at or below
/// α whenever and however often it is checked, and p = min(1, 1/BF) is an anytime-valid p-value.
/// The figure depends on the counts only (the visitors are exchangeable), so it can be computed
/// from the stored totals at any moment. Everything is in log space (log-gamma), so it is exact at
/// millions of visitors; one more visitor moves it by a closed form (Γ(x+1) = xΓ(x)), see
/// <see cref="SequentialSampleRatioMonitor"/>.
/// </remarks>
public static class SequentialSampleRatio
{
    /// <summary>The false-alarm rate of the whole-experiment check: the same 0.001 as the chi-square check.</summary>
    public const double Alpha = 0.001;

    /// <summary>
    /// The prior's concentration c. A larger c puts the alternative's splits closer to the
    /// configured one: faster to find the small mismatches that matter for a split check (a
    /// 50.5/49.5 split), slower for gross ones that any test finds within a few hundred visitors.
    /// Chosen by simulation (SequentialSampleRatioTests prints the figures).
    /// </summary>
    public const double Concentration = 10_000;

    public static SequentialSrmResult Check(long observedA, double weightA, long observedB, double weightB, double alpha = Alpha)
    {
        if (observedA + observedB == 0 || weightA <= 0 || weightB <= 0)
        {
            return new SequentialSrmResult(0, 1, false) { Alpha = alpha };
        }

        var shareA = weightA / (weightA + weightB);
        var log = LogBayesFactor(observedA, shareA, observedB, 1 - shareA, Concentration);
        return Result(log, alpha);
    }

    internal static SequentialSrmResult Result(double logBayesFactor, double alpha)
    {
        var p = Math.Min(1, Math.Exp(-logBayesFactor));
        return new SequentialSrmResult(logBayesFactor, p, logBayesFactor >= -Math.Log(alpha)) { Alpha = alpha };
    }

    /// <summary>log BF of two arms with counts <paramref name="a"/>, <paramref name="b"/> and null shares that sum to 1.</summary>
    public static double LogBayesFactor(long a, double shareA, long b, double shareB, double concentration)
    {
        var alphaA = concentration * shareA;
        var alphaB = concentration * shareB;
        var n = a + b;
        return SpecialFunctions.GammaLn(concentration) - SpecialFunctions.GammaLn(concentration + n)
            + SpecialFunctions.GammaLn(alphaA + a) - SpecialFunctions.GammaLn(alphaA) - a * Math.Log(shareA)
            + SpecialFunctions.GammaLn(alphaB + b) - SpecialFunctions.GammaLn(alphaB) - b * Math.Log(shareB);
    }
}

/// <summary>
/// The anytime-valid split check updated one visitor at a time, in O(1): a visitor in arm i
/// multiplies the Bayes factor by (αᵢ + nᵢ) / ((c + n) θᵢ), nᵢ and n counted before the visitor.
/// </summary>
public sealed class SequentialSampleRatioMonitor(double shareA, double concentration = SequentialSampleRatio.Concentration)
{
    private readonly double alphaA = concentration * shareA;
    private readonly double alphaB = concentration * (1 - shareA);
    private readonly double logShareA = Math.Log(shareA);
    private readonly double logShareB = Math.Log(1 - shareA);

    public long A { get; private set; }

    public long B { get; private set; }

    public double LogBayesFactor { get; private set; }

    public void Observe(bool inA)
    {
        var n = A + B;
        LogBayesFactor += inA
            ? Math.Log((alphaA + A) / (concentration + n)) - logShareA
            : Math.Log((alphaB + B) / (concentration + n)) - logShareB;
        if (inA)
        {
            A++;
        }
        else
        {
            B++;
        }
    }
}
