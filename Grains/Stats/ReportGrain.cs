using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// The one aggregate of every visitor. Visits journal what they change in the stats in their own
/// statement, and every silo folds the journal into the totals, days and visits per minute about
/// once a second (<see cref="StatsFolding"/>, Storage/Functions/visitors.sql); this grain only
/// reads the summed totals back, once per <see cref="StatsOptions.RefreshInterval"/>,
/// and answers the stats view from memory. It is active only while someone reads the stats, so
/// nothing that must happen regardless belongs here (the old minutes are pruned by <see cref="MinutePruning"/>).
/// </summary>
public sealed class ReportGrain(StatsStore store, IOptions<StatsOptions> options, ILogger<ReportGrain> logger)
    : Grain, IReportGrain
{
    private StatsSnapshot? _snapshot;
    private int _failedRefreshes;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _snapshot = await store.LoadSnapshotAsync(cancellationToken);
        var o = options.Value;
        this.RegisterGrainTimer(RefreshOnTimerAsync, new GrainTimerCreationOptions(o.RefreshInterval, o.RefreshInterval) { KeepAlive = true });
    }

    public async Task<StatsSnapshot> GetStatsAsync() =>
        _snapshot ??= await store.LoadSnapshotAsync();

    public async Task<StatsSnapshot> RefreshAsync()
    {
        await store.FoldJournalAsync(wait: true);
        return _snapshot = await store.LoadSnapshotAsync();
    }

    private async Task RefreshOnTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            _snapshot = await store.LoadSnapshotAsync(cancellationToken);
            if (_failedRefreshes > 0)
            {
                logger.LogInformation("Stats refresh works again, after {Failures} failed tries", _failedRefreshes);
                _failedRefreshes = 0;
            }
        }
        catch (Exception ex)
        {
            // The last snapshot stays in use; its AsOf tells readers how old it is. One line per
            // outage, not one per tick (two a second by default, for as long as the database is down).
            if (_failedRefreshes++ == 0)
            {
                logger.LogWarning("Stats refresh failed; retrying on every tick, the last totals stay in use: {Reason}", ex.Message);
            }
        }
    }
}
