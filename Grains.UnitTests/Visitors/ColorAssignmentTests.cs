using System.Buffers.Text;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Visitors;

public sealed class ColorAssignmentTests
{
    // Two-sided 99.9% bound of a binomial proportion: |observed - np| <= z * sqrt(np(1-p)).
    private const double Z999 = 3.2905;

    // Drawn once, from a fixed seed, in the minted ids' own format: the test checks the hash's
    // spread over ids like real ones, and gives the same answer on every run (random ids would
    // fail each case by chance about once in a thousand runs).
    private static readonly IReadOnlyList<string> FixedIds = SeededIds(100_000, seed: 20_251_125);

    [Theory]
    [InlineData(50, 50)]
    [InlineData(70, 30)]
    [InlineData(1, 99)]
    public void The_split_of_100000_ids_is_within_the_binomial_bound(int red, int blue)
    {
        var n = FixedIds.Count;
        var assignment = Assignment(red, blue);

        var reds = FixedIds.Count(id => assignment.ColorFor(id) == BallColor.Red);

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

    [Fact]
    public void The_fixed_ids_look_like_minted_ones_and_are_all_different()
    {
        Assert.All(FixedIds, id => Assert.True(VisitorId.IsWellFormed(id), id));
        Assert.Equal(FixedIds.Count, FixedIds.Distinct().Count());
    }

    internal static ColorAssignment Assignment(int red, int blue, string seed = "ball") =>
        new(Options.Create(new ColorWeightsOptions { RedWeight = red, BlueWeight = blue, AssignmentSeed = seed }));

    // 128 bits each, written as VisitorId writes them; an all-digit id is never minted, so never drawn.
    private static List<string> SeededIds(int count, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[16];
        var ids = new List<string>(count);
        while (ids.Count < count)
        {
            random.NextBytes(bytes);
            var id = Base64Url.EncodeToString(bytes);
            if (!id.All(char.IsAsciiDigit))
            {
                ids.Add(id);
            }
        }

        return ids;
    }
}
