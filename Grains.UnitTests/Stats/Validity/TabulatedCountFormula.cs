using BallOrleans.Web.Stats;
using MathNet.Numerics;

namespace BallOrleans.Tests.Stats.Validity;

/// <summary>
/// <see cref="SequentialSampleRatio.LogBayesFactor"/> with its log-gammas computed once for every
/// count up to a limit and looked up afterwards: the same figures, for simulations that evaluate
/// the formula millions of times on counts that go down as well as up.
/// </summary>
public sealed class TabulatedCountFormula
{
    private readonly double[] _logGammaA;
    private readonly double[] _logGammaB;
    private readonly double[] _logGammaAll;
    private readonly double _logShareA;
    private readonly double _logShareB;
    private readonly double _constant;

    public TabulatedCountFormula(double shareA, int maximumCount, double concentration = SequentialSampleRatio.Concentration)
    {
        var (alphaA, alphaB) = (concentration * shareA, concentration * (1 - shareA));
        _logGammaA = Table(alphaA, maximumCount);
        _logGammaB = Table(alphaB, maximumCount);
        _logGammaAll = Table(concentration, 2 * maximumCount);
        (_logShareA, _logShareB) = (Math.Log(shareA), Math.Log(1 - shareA));
        _constant = SpecialFunctions.GammaLn(concentration) - SpecialFunctions.GammaLn(alphaA) - SpecialFunctions.GammaLn(alphaB);
    }

    public double LogBayesFactor(long a, long b) =>
        _constant - _logGammaAll[a + b] + _logGammaA[a] - a * _logShareA + _logGammaB[b] - b * _logShareB;

    private static double[] Table(double offset, int maximum)
    {
        var table = new double[maximum + 1];
        for (var n = 0; n <= maximum; n++)
        {
            table[n] = SpecialFunctions.GammaLn(offset + n);
        }

        return table;
    }
}
