using BallOrleans.Web.Stats;
using MathNet.Numerics;

namespace BallOrleans.Tests.Stats;

public sealed class SampleRatioMismatchTests
{
    // The library's erfc, held to the accuracy the chi-square p-values were written against.
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(1.9, 0.0072095707647425325)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(-1.0, 1.842700792949715)]
    public void Erfc_matches_reference_values(double x, double expected) =>
        Assert.Equal(expected, SpecialFunctions.Erfc(x), expected * 1e-10);

    [Fact]
    public void An_even_split_has_p_of_one()
    {
        var result = SampleRatioMismatch.Check(5000, 50, 5000, 50);

        Assert.Equal(0, result.ChiSquare);
        Assert.Equal(1, result.PValue, 12);
        Assert.False(result.Flagged);
    }

    [Fact]
    public void A_5200_to_4800_split_has_chi_square_16_and_is_flagged()
    {
        var result = SampleRatioMismatch.Check(5200, 50, 4800, 50);

        Assert.Equal(16, result.ChiSquare, 10);
        Assert.Equal(6.334248366623977e-05, result.PValue, 1e-12);
        Assert.True(result.Flagged);
    }

    [Fact]
    public void Unequal_weights_are_the_expectation()
    {
        Assert.Equal(0, SampleRatioMismatch.Check(7000, 70, 3000, 30).ChiSquare, 10);
        Assert.True(SampleRatioMismatch.Check(5000, 70, 5000, 30).Flagged);
    }

    [Fact]
    public void Fewer_than_eight_visitors_in_an_arm_is_never_flagged()
    {
        var result = SampleRatioMismatch.Check(400, 50, 7, 50);

        Assert.True(result.PValue < SampleRatioMismatch.Threshold);
        Assert.False(result.Flagged);
        Assert.True(SampleRatioMismatch.Check(400, 50, 8, 50).Flagged);
    }
}
