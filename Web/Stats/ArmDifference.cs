namespace BallOrleans.Web.Stats;

/// <summary>
/// One way of putting the difference between the arms (absolute: blue − red; relative: blue / red
/// − 1), its standard error, its 95% interval at a horizon fixed in advance and its 95% interval
/// valid at every look (<see cref="NormalMixtureBoundary"/>).
/// </summary>
public sealed record DifferenceInterval(double Estimate, double StandardError, Interval FixedHorizon, Interval AnytimeValid);

/// <summary>
/// The difference in a per-visitor metric between blue and red, from each arm's sums
/// (<see cref="ArmSums"/>). Red is the reference arm only in name: nothing here treats it apart.
/// </summary>
/// <remarks>
/// <para><b>Absolute</b>: d = m_blue − m_red, SE = √(SE_red² + SE_blue²) (the arms are independent).</para>
/// <para><b>Relative</b>: r = m_blue / m_red − 1, by the delta method:
/// SE = √(SE_blue² / m_red² + m_blue² · SE_red² / m_red⁴). It needs m_red well away from 0 (with
/// views per visitor it is at least 1), and is asymptotic like the rest.</para>
/// <para><b>Which interval to read</b>: the fixed-horizon interval covers the truth 95% of the time
/// only when it is read once, at a number of visitors chosen before the experiment began; read at
/// every refresh, it misses far more often (<c>IntervalSimulationTests</c> measures how much). The
/// anytime-valid interval is wider and covers the truth at every look at once, with the
/// assumptions stated on <see cref="NormalMixtureBoundary"/>; its t is the visitors of both arms.
/// Both are asymptotic: the standard errors come from the data.</para>
/// </remarks>
public sealed record ArmDifference(DifferenceInterval Absolute, DifferenceInterval Relative)
{
    /// <summary>Both differences, or null while an arm has fewer than <see cref="NormalMixtureBoundary.MinimumPerArm"/> visitors or red's mean is 0.</summary>
    public static ArmDifference? Of(ArmSums red, ArmSums blue)
    {
        if (red.Visitors < NormalMixtureBoundary.MinimumPerArm || blue.Visitors < NormalMixtureBoundary.MinimumPerArm || red.Mean <= 0)
        {
            return null;
        }

        var anytime = NormalMixtureBoundary.AnytimeValid(red.Visitors + blue.Visitors);
        var (seRed, seBlue) = (red.StandardError, blue.StandardError);
        var absolute = blue.Mean - red.Mean;
        var absoluteSe = Math.Sqrt(seRed * seRed + seBlue * seBlue);
        var relative = blue.Mean / red.Mean - 1;
        var relativeSe = Math.Sqrt(seBlue * seBlue / (red.Mean * red.Mean)
            + blue.Mean * blue.Mean * seRed * seRed / Math.Pow(red.Mean, 4));
        return new ArmDifference(Interval(absolute, absoluteSe, anytime), Interval(relative, relativeSe, anytime));
    }

    private static DifferenceInterval Interval(double estimate, double se, double anytime) => new(
        estimate, se, Stats.Interval.Around(estimate, NormalMixtureBoundary.FixedHorizon * se), Stats.Interval.Around(estimate, anytime * se));
}
