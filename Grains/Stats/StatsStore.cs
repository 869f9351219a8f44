using BallOrleans.Grains.Visitors;
using Npgsql;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Reads the totals and the recent visits per minute from the read model. The rows are sharded
/// (concurrent batches each add to their own, see 003_stats.sql), so both queries sum the shards.
/// </summary>
public sealed class StatsStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string TotalsSql = "SELECT color, sum(visitors)::bigint, sum(views)::bigint FROM ball_report_totals GROUP BY color";
    private const string MinutesSql = """
        SELECT minute, color, sum(visits)::bigint FROM ball_visits_per_minute
        WHERE minute >= $1 GROUP BY minute, color ORDER BY minute, color
        """;

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
        while (await reader.ReadAsync(cancellationToken))
        {
            if (BallColors.TryParse(reader.GetString(0), out var color))
            {
                colors.Add(new ColorTotals(color, reader.GetInt64(1), reader.GetInt64(2)));
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

        return new StatsSnapshot([.. colors.OrderBy(c => c.Color)], [.. minutes], asOf);
    }
}
