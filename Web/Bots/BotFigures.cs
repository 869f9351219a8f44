using BallOrleans.Grains.Bots;

namespace BallOrleans.Web.Bots;

/// <summary>The bot figures the stats show: every process's counts, this one's fresh, the others' as last pushed.</summary>
public sealed class BotFigures(IBotTally tally, IGrainFactory grains)
{
    public const int TopFamilies = 10;

    public async Task<BotCounts> SumAsync()
    {
        var others = await grains.GetGrain<IBotReportGrain>(0).SumAsync(tally.Process);
        return others.Plus(tally.Snapshot());
    }
}
