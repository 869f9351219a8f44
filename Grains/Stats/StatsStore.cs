using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;
using Npgsql;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Reads the totals (with the assigned counters and the erasure ledger of all time) and the recent
/// visits per minute from the read model. The rows are sharded (concurrent batches each add to
/// their own, see 003_stats.sql), so the queries sum the shards.
/// </summary>
public sealed class StatsStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    // One statement, so one snapshot: the totals, the assigned counters and the erasure ledger
    // are moved together, by one fold of the journal that visits and erasures write, and read
    // together they always answer assigned - remaining - erased = 0 unless the books are broken
    // (two reads taken at different moments would differ by whatever committed in between).
    private const string TotalsSql = """
        SELECT 'remaining', color, NULL, sum(visitors)::bigint, sum(views)::bigint FROM ball_report_totals GROUP BY color
        UNION ALL
        SELECT 'assigned', color, browser, sum(visitors)::bigint, sum(views)::bigint FROM ball_stats_assigned GROUP BY color, browser
        UNION ALL
        SELECT 'erased', color, reason, sum(visitors)::bigint, sum(views)::bigint FROM ball_stats_erased GROUP BY color, reason
        """;
    private const string MinutesSql = """
        SELECT minute, color, sum(visits)::bigint FROM ball_visits_per_minute
        WHERE minute >= $1 GROUP BY minute, color ORDER BY minute, color
        """;

    /// <summary>
    /// Folds the stats journal into the aggregates; returns how many journal rows it folded. Without
    /// <paramref name="wait"/>, 0 at once while another silo folds; with it, once this returns,
    /// every visit and erasure that committed before the call is in the aggregates.
    /// </summary>
    public async Task<long> FoldJournalAsync(bool wait, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT ball_stats_fold($1)");
        // Not a request's timeout: a backlog (every silo down a while, a bulk load by hand) is
        // folded in one run, and a run cut short folds nothing, so it must be let finish. A
        // second of a busy site folds in milliseconds; two minutes is millions of visits.
        command.CommandTimeout = 120;
        command.Parameters.Add(new() { Value = wait });
        return (long)(await command.ExecuteScalarAsync(cancellationToken) ?? 0L);
    }

    /// <summary>
    /// Deletes the minutes older than the hour the snapshot shows; returns how many rows went (0
    /// also when another silo's call is pruning at that moment).
    /// </summary>
    public async Task<long> PruneMinutesAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT ball_stats_prune_minutes()");
        return (long)(await command.ExecuteScalarAsync(cancellationToken) ?? 0L);
    }

    public async Task<StatsSnapshot> LoadSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var asOf = clock.GetUtcNow();
        var firstMinute = new DateTimeOffset(asOf.Ticks - asOf.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero)
            .AddMinutes(1 - StatsSnapshot.MinutesShown);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(TotalsSql));
        var minutesCommand = new NpgsqlBatchCommand(MinutesSql);
        minutesCommand.Parameters.Add(new() { Value = firstMinute.UtcDateTime });
        batch.BatchCommands.Add(minutesCommand);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var colors = new List<ColorTotals>();
        var assigned = new List<AssignedTotals>();
        var erased = new List<ErasedTotals>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!BallColors.TryParse(reader.GetString(1), out var color))
            {
                continue;
            }

            var (visitors, views) = (reader.GetInt64(3), reader.GetInt64(4));
            switch (reader.GetString(0))
            {
                case "remaining":
                    colors.Add(new ColorTotals(color, visitors, views));
                    break;
                case "assigned":
                    assigned.Add(new AssignedTotals(
                        color, BrowserFamilyNames.TryParse(reader.GetString(2), out var browser) ? browser : null, visitors, views));
                    break;
                case "erased" when ErasureReasons.TryParse(reader.GetString(2), out var reason):
                    erased.Add(new ErasedTotals(color, reason, visitors, views));
                    break;
            }
        }

        await reader.NextResultAsync(cancellationToken);
        var minutes = new List<MinuteVisits>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (BallColors.TryParse(reader.GetString(1), out var color))
            {
                minutes.Add(new MinuteVisits(reader.GetFieldValue<DateTimeOffset>(0), color, reader.GetInt64(2)));
            }
        }

        return new StatsSnapshot([.. colors.OrderBy(c => c.Color)], [.. minutes], asOf) { Assigned = [.. assigned], Erased = [.. erased] };
    }
}
