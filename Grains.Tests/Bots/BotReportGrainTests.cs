using BallOrleans.Grains.Bots;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Bots;

public sealed class BotReportGrainTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_report_sums_the_latest_counts_of_each_process_but_the_asking_one()
    {
        await using var cluster = await TestClusters.StartAsync(await postgres.CreateDatabaseAsync("bot_report"));
        var report = cluster.Client.GetGrain<IBotReportGrain>(0);
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();

        await report.PushAsync(a, Counts(("Googlebot", 3), ("curl", 1)));
        await report.PushAsync(b, Counts(("Googlebot", 2)));
        await report.PushAsync(a, Counts(("Googlebot", 5), ("curl", 1))); // running totals: replaces the first

        var forC = await report.SumAsync(c);
        var forA = await report.SumAsync(a);

        Assert.Equal(8, forC.Total);
        Assert.Equal(7, forC.Families["Googlebot"]);
        Assert.Equal(1, forC.Families["curl"]);
        Assert.Equal(2, forA.Total);
        Assert.Equal(["Googlebot"], forA.Families.Keys);
    }

    private static BotCounts Counts(params (string Family, long Requests)[] families) =>
        new(families.Sum(f => f.Requests), families.ToDictionary(f => f.Family, f => f.Requests));
}
