using BallOrleans.Grains.Visitors;
using Npgsql;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Writes pushed visitor snapshots into the stats read model and reads the totals back. Every
/// change to rows or totals goes through <c>ball_stats_apply</c> (003_stats.sql), here and in
/// <see cref="ReadModelHealer"/>.
/// </summary>
public sealed class StatsStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string ApplySql = "SELECT ball_stats_apply($1, $2, $3, $4, $5, $6)";
    private const string TotalsSql = "SELECT color, visitors, views FROM ball_report_totals";
    private const string MinutesSql = "SELECT minute, color, visits FROM ball_visits_per_minute WHERE minute >= $1 ORDER BY minute, color";

    /// <summary>Applies snapshots and returns the totals as they are right after.</summary>
    public async Task<StatsSnapshot> ApplyAsync(IReadOnlyCollection<VisitorSnapshot> snapshots, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        if (snapshots.Count > 0)
        {
            var apply = new NpgsqlBatchCommand(ApplySql);
            apply.Parameters.Add(new() { Value = snapshots.Select(s => s.VisitorId).ToArray() });
            apply.Parameters.Add(new() { Value = snapshots.Select(s => s.Color.Name()).ToArray() });
            apply.Parameters.Add(new() { Value = snapshots.Select(s => s.RedViews).ToArray() });
            apply.Parameters.Add(new() { Value = snapshots.Select(s => s.BlueViews).ToArray() });
            apply.Parameters.Add(new() { Value = snapshots.Select(s => AsStoredInJson(s.FirstSeen)).ToArray() });
            apply.Parameters.Add(new() { Value = snapshots.Select(s => AsStoredInJson(s.LastSeen)).ToArray() });
            batch.BatchCommands.Add(apply);
        }

        return await ReadSnapshotAsync(batch, cancellationToken);
    }

    public async Task<StatsSnapshot> LoadSnapshotAsync(CancellationToken cancellationToken = default) =>
        await ApplyAsync([], cancellationToken);

    /// <summary>
    /// The time as PostgreSQL reads it back from the grain's JSON: rounded to microseconds, ties
    /// to even (rint). Npgsql would truncate instead, and a pushed row and a healed or rebuilt row
    /// would then differ by a microsecond.
    /// </summary>
    internal static DateTime AsStoredInJson(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        var below = ticks % 10;
        var rounded = ticks - below;
        if (below > 5 || (below == 5 && rounded / 10 % 2 == 1))
        {
            rounded += 10;
        }

        return new DateTime(rounded, DateTimeKind.Utc);
    }

    private async Task<StatsSnapshot> ReadSnapshotAsync(NpgsqlBatch batch, CancellationToken cancellationToken)
    {
        var asOf = clock.GetUtcNow();
        var firstMinute = new DateTimeOffset(asOf.Ticks - asOf.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero)
            .AddMinutes(1 - StatsSnapshot.MinutesShown);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(TotalsSql));
        var minutesCommand = new NpgsqlBatchCommand(MinutesSql);
        minutesCommand.Parameters.Add(new() { Value = firstMinute.UtcDateTime });
        batch.BatchCommands.Add(minutesCommand);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (batch.BatchCommands.Count == 3)
        {
            await reader.NextResultAsync(cancellationToken);
        }

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
