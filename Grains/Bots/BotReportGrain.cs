namespace BallOrleans.Grains.Bots;

/// <summary>
/// In memory only: a process's pushes carry its cumulative counts, so a new activation is whole
/// again after one push interval, and a process that stopped drops out after <see cref="StaleAfter"/>.
/// </summary>
public sealed class BotReportGrain(TimeProvider clock) : Grain, IBotReportGrain
{
    /// <summary>Many push intervals: a process this quiet has stopped (its counts ended with it).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    private readonly Dictionary<Guid, (BotCounts Counts, DateTimeOffset At)> _processes = [];

    public Task PushAsync(Guid process, BotCounts counts)
    {
        _processes[process] = (counts, clock.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<BotCounts> SumAsync(Guid exceptProcess)
    {
        var now = clock.GetUtcNow();
        var sum = BotCounts.None;
        foreach (var (process, (counts, at)) in _processes.ToList())
        {
            if (now - at > StaleAfter)
            {
                _processes.Remove(process);
            }
            else if (process != exceptProcess)
            {
                sum = sum.Plus(counts);
            }
        }

        return Task.FromResult(sum);
    }
}
