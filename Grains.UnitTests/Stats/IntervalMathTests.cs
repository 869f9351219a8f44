using BallOrleans.Web.Stats;

namespace BallOrleans.Tests.Stats;

/// <summary>The interval arithmetic on figures worked by hand; <c>Validity/IntervalSimulationTests</c> pins what the intervals promise.</summary>
public sealed class IntervalMathTests
{
    [Fact]
    public void An_arm_s_mean_variance_and_standard_error_come_from_its_three_sums()
    {
        var arm = new ArmSums(0, 0, 0).Add(1).Add(2).Add(3).Add(4);
        Assert.Equal((4L, 10.0, 30.0), (arm.Visitors, arm.Sum, arm.SumOfSquares));
        Assert.Equal(2.5, arm.Mean, 12);
        Assert.Equal(5.0 / 3, arm.Variance, 12);
        Assert.Equal(Math.Sqrt(5.0 / 12), arm.StandardError, 12);
        Assert.True(double.IsNaN(new ArmSums(1, 3, 9).Variance));
    }

    [Fact]
    public void The_fixed_horizon_interval_is_1_96_standard_errors_either_side()
    {
        // 400 visitors, mean 2, variance 4: SE = 0.1.
        var estimate = ArmEstimate.Of(Sums(400, mean: 2, variance: 4))!;
        Assert.Equal(0.1, estimate.StandardError, 9);
        Assert.Equal(1.959964, NormalMixtureBoundary.FixedHorizon, 6);
        Assert.Equal(2 - 0.1959964, estimate.FixedHorizon.Low, 6);
        Assert.Equal(2 + 0.1959964, estimate.FixedHorizon.High, 6);
        Assert.Null(ArmEstimate.Of(Sums(99, 2, 4)));
    }

    [Fact]
    public void The_difference_and_the_relative_difference_have_the_delta_method_standard_errors()
    {
        // Red: mean 2, SE 0.1; blue: mean 2.2, SE 0.2.
        var difference = ArmDifference.Of(Sums(400, 2, 4), Sums(100, 2.2, 4))!;
        Assert.Equal(0.2, difference.Absolute.Estimate, 9);
        Assert.Equal(Math.Sqrt(0.01 + 0.04), difference.Absolute.StandardError, 9);
        Assert.Equal(0.1, difference.Relative.Estimate, 9);
        // √(0.2² / 2² + 2.2² · 0.1² / 2⁴) = √(0.01 + 0.003025)
        Assert.Equal(Math.Sqrt(0.013025), difference.Relative.StandardError, 9);
        Assert.Null(ArmDifference.Of(Sums(99, 2, 4), Sums(100, 2, 4)));
        Assert.Null(ArmDifference.Of(Sums(100, 0, 0), Sums(100, 2, 4)));
    }

    [Theory]
    [InlineData(200L)]
    [InlineData(10_000L)]
    [InlineData(50_000L)]
    [InlineData(10_000_000L)]
    public void The_anytime_valid_interval_is_wider_than_the_fixed_horizon_one_and_follows_the_normal_mixture_formula(long visitors)
    {
        var (alpha, tStar) = (NormalMixtureBoundary.Alpha, (double)NormalMixtureBoundary.PlannedVisitors);
        var rhoSquared = (2 * Math.Log(1 / alpha) + Math.Log(1 + 2 * Math.Log(1 / alpha))) / tStar;
        var t = visitors * rhoSquared;
        // Waudby-Smith et al. (2024), in standard errors: √(2(tρ² + 1)/(tρ²) · ln(√(tρ² + 1)/α)).
        var expected = Math.Sqrt(2 * (t + 1) / t * Math.Log(Math.Sqrt(t + 1) / alpha));
        Assert.Equal(expected, NormalMixtureBoundary.AnytimeValid(visitors), 9);
        Assert.True(NormalMixtureBoundary.AnytimeValid(visitors) > NormalMixtureBoundary.FixedHorizon);
    }

    private static ArmSums Sums(long n, double mean, double variance) =>
        new(n, n * mean, (n - 1) * variance + n * mean * mean);
}
