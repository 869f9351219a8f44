using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Visitors;

public sealed class ColorAssignmentTests
{
    // Two-sided 99.9% bound of a binomial proportion: |observed - np| <= z * sqrt(np(1-p)).
    private const double Z999 = 3.2905;

    [Theory]
    [InlineData(50, 50)]
    [InlineData(70, 30)]
    [InlineData(1, 99)]
    public void The_split_of_100000_fresh_ids_is_within_the_binomial_bound(int red, int blue)
    {
        const int n = 100_000;
        var assignment = Assignment(red, blue);

        var reds = Enumerable.Range(0, n).Count(_ => assignment.ColorFor(VisitorId.NewId()) == BallColor.Red);

        var p = red / (double)(red + blue);
        var bound = Z999 * Math.Sqrt(n * p * (1 - p));
        Assert.InRange(reds, n * p - bound, n * p + bound);
    }

    [Fact]
    public void The_same_id_and_seed_always_get_the_same_color()
    {
        var a = Assignment(50, 50);
        var b = Assignment(50, 50);
        var ids = Enumerable.Range(0, 1000).Select(_ => VisitorId.NewId()).ToList();

        Assert.Equal(ids.Select(a.ColorFor), ids.Select(b.ColorFor));
    }

    [Fact]
    public void A_zero_weight_color_is_never_assigned()
    {
        var onlyBlue = Assignment(0, 1);

        Assert.All(Enumerable.Range(0, 2000), _ => Assert.Equal(BallColor.Blue, onlyBlue.ColorFor(VisitorId.NewId())));
    }

    internal static ColorAssignment Assignment(int red, int blue, string seed = "ball") =>
        new(Options.Create(new ColorWeightsOptions { RedWeight = red, BlueWeight = blue, AssignmentSeed = seed }));
}
