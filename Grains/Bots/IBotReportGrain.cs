namespace BallOrleans.Grains.Bots;

/// <summary>
/// Sums the bot counts of the web processes (the one grain keyed 0). Each process pushes its
/// running counts every few seconds; nothing is stored, as the counts are "since start-up".
/// </summary>
public interface IBotReportGrain : IGrainWithIntegerKey
{
    /// <summary>Replaces what <paramref name="process"/> reported before with its counts since its start.</summary>
    Task PushAsync(Guid process, BotCounts counts);

    /// <summary>The sum over processes heard from recently, leaving out <paramref name="exceptProcess"/> (the caller adds its own, fresher counts).</summary>
    Task<BotCounts> SumAsync(Guid exceptProcess);
}
