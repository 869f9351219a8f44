using BallOrleans.Web.Bots;

namespace BallOrleans.Tests.Bots;

public sealed class BotTallyTests
{
    [Fact]
    public async Task Concurrent_counts_are_all_kept()
    {
        var tally = new BotTally();
        string[] families = ["Googlebot", "bingbot", "curl"];

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 30_000; i++)
            {
                tally.Count(families[(worker + i) % families.Length]);
            }
        })));

        var counts = tally.Snapshot();
        Assert.Equal(240_000, counts.Total);
        Assert.All(families, f => Assert.Equal(80_000, counts.Families[f]));
    }

    [Fact]
    public void Families_past_the_cap_are_counted_together()
    {
        var tally = new BotTally();

        for (var i = 0; i < BotTally.MaxFamilies + 500; i++)
        {
            tally.Count($"made-up-{i}");
        }

        var counts = tally.Snapshot();
        Assert.Equal(BotTally.MaxFamilies + 500, counts.Total);
        Assert.Equal(BotTally.MaxFamilies + 1, counts.Families.Count);
        Assert.Equal(500, counts.Families[BotTally.OtherFamilies]);
        Assert.Equal(counts.Total, counts.Families.Values.Sum());
    }
}
