namespace BallOrleans.Tests.Stats.Validity;

/// <summary>
/// The split check's log Bayes factor (<see cref="Web.Stats.SequentialSampleRatio.LogBayesFactor"/>)
/// of two counts that may go down as well as up, kept in O(1) a step: Γ(x+1) = xΓ(x), so one more
/// in arm A adds ln(α_A + a) − ln(c + n) − ln θ_A (a, n before it) and one fewer takes the same
/// term off (a, n after it). Only for the simulations of counts that shrink ("remaining"): the
/// site's figure is always the count formula, and a test holds the two equal.
/// </summary>
public sealed class CountsBayesFactor(double shareA, double concentration)
{
    private readonly double _alphaA = concentration * shareA;
    private readonly double _alphaB = concentration * (1 - shareA);
    private readonly double _logShareA = Math.Log(shareA);
    private readonly double _logShareB = Math.Log(1 - shareA);

    public long A { get; private set; }

    public long B { get; private set; }

    public double LogBayesFactor { get; private set; }

    public void Add(bool inA)
    {
        LogBayesFactor += Term(inA, A, B);
        _ = inA ? A++ : B++;
    }

    public void Remove(bool inA)
    {
        _ = inA ? A-- : B--;
        LogBayesFactor -= Term(inA, A, B);
    }

    private double Term(bool inA, long a, long b) => inA
        ? Math.Log((_alphaA + a) / (concentration + a + b)) - _logShareA
        : Math.Log((_alphaB + b) / (concentration + a + b)) - _logShareB;
}
