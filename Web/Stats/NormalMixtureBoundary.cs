using MathNet.Numerics.Distributions;

namespace BallOrleans.Web.Stats;

/// <summary>
/// How wide, in standard errors, a 95% interval must be: once, at a horizon fixed in advance
/// (<see cref="FixedHorizon"/>), or at every look at once (<see cref="AnytimeValid"/>).
/// </summary>
/// <remarks>
/// <para><b>The anytime-valid width</b> is the two-sided normal-mixture boundary (Robbins 1970;
/// Howard, Ramdas, McAuliffe &amp; Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic
/// confidence sequences", Ann. Statist.), used with an estimated variance as the asymptotic
/// confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy &amp; Ramdas (2024), "Time-uniform
/// central limit theory and asymptotic confidence sequences". For a sum S of t centred terms with
/// variance σ² each, mixing exp(λS − λ²σ²t/2) over λ ~ N(0, ρ²/σ²) gives the martingale
/// (1 + tρ²)^(−1/2) · exp(ρ²S²/(2σ²(1 + tρ²))); by Ville's inequality it ever reaches 1/α with
/// probability at most α, so with the standard error SE = σ/√t, at every t at once,
///   |estimate − truth| ≤ SE · √((1 + 1/(tρ²)) · (2 ln(1/α) + ln(1 + tρ²))).</para>
/// <para>Assumptions: the t terms are independent and identically distributed with a finite
/// variance (visitors arrive independently; each arm is drawn by the fixed weights, independently
/// of the visitor); the variance is estimated from the data, so the guarantee is asymptotic (it
/// holds as the looks begin later and later), which is why an interval is given only from
/// <see cref="MinimumPerArm"/> visitors in each arm; and the weights do not change while it is
/// watched. ρ is set so that the boundary is tightest at <see cref="PlannedVisitors"/>
/// (Waudby-Smith et al.: ρ² = (2 ln(1/α) + ln(1 + 2 ln(1/α))) / t*); any ρ fixed in advance is
/// valid, only the width changes.</para>
/// </remarks>
public static class NormalMixtureBoundary
{
    /// <summary>The level of every interval: 95%.</summary>
    public const double Alpha = 0.05;

    /// <summary>Where the anytime-valid boundary is tightest, in visitors of both arms.</summary>
    public const long PlannedVisitors = 50_000;

    /// <summary>Below this many visitors in an arm no interval is given: the variance estimate is too rough for the normal approximation.</summary>
    public const long MinimumPerArm = 100;

    /// <summary>z of the two-sided fixed-horizon interval: 1.95996 for 95%.</summary>
    public static double FixedHorizon { get; } = Normal.InvCDF(0, 1, 1 - Alpha / 2);

    private static readonly double LogInverseAlpha = Math.Log(1 / Alpha);
    private static readonly double RhoSquared = (2 * LogInverseAlpha + Math.Log(1 + 2 * LogInverseAlpha)) / PlannedVisitors;

    /// <summary>The anytime-valid half-width in standard errors after <paramref name="visitors"/> visitors (t above).</summary>
    public static double AnytimeValid(long visitors)
    {
        var tRho = visitors * RhoSquared;
        return Math.Sqrt((1 + 1 / tRho) * (2 * LogInverseAlpha + Math.Log(1 + tRho)));
    }
}
