using BallOrleans.Grains.Visitors;
using Npgsql;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Writes of the stats read model, and the snapshot read back after them. Everything that
/// changes rows or totals goes through <c>ball_stats_apply</c> (003_stats.sql), in one place.
/// </summary>
public sealed class StatsStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>Grain-state rows per statement when healing or rebuilding.</summary>
    public const int PageSize = 5000;

    private const string ApplySql = "SELECT ball_stats_apply($1, $2, $3, $4, $5, $6)";
    private const string TotalsSql = "SELECT color, visitors, views FROM ball_report_totals";
    private const string MinutesSql = "SELECT minute, color, visits FROM ball_visits_per_minute WHERE minute >= $1 ORDER BY minute, color";

    // Both pages feed grain state straight into ball_stats_apply, without a round trip through .NET.
    private const string ApplyPageColumns = """
        SELECT ball_stats_apply(array_agg(grain_key), array_agg(color), array_agg(red_views), array_agg(blue_views),
                                array_agg(first_seen), array_agg(last_seen)),
               count(*), max(modified_on)
        """;

    // Reconciliation: keyset over (modified_on, grain_key), the order of ball_grain_state_modified.
    private const string ModifiedPageSql = ApplyPageColumns + """
        , (array_agg(grain_key ORDER BY modified_on DESC, grain_key DESC))[1]
        FROM (SELECT * FROM ball_visitor_payloads
              WHERE service_id = $1 AND modified_on >= $2 AND (modified_on, grain_key) > ($2, $3)
              ORDER BY modified_on, grain_key
              LIMIT $4) page
        """;

    // Rebuild and seeding: keyset over grain_key, the primary key's order.
    private const string KeyPageSql = ApplyPageColumns + """
        , max(grain_key)
        FROM (SELECT * FROM ball_visitor_payloads
              WHERE service_id = $1 AND grain_key > $2
              ORDER BY grain_key
              LIMIT $3) page
        """;

    private const string WatermarkSql = """
        SELECT coalesce((SELECT modified_on FROM ball_stats_watermark WHERE service_id = $1), '1970-01-01Z'), now()
        """;

    private const string SetWatermarkSql = """
        INSERT INTO ball_stats_watermark AS w (service_id, modified_on) VALUES ($1, $2)
        ON CONFLICT (service_id) DO UPDATE SET modified_on = greatest(w.modified_on, excluded.modified_on)
        """;

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
    /// Re-applies every visitor written since the watermark (less the lag), then moves the
    /// watermark to now less the lag. Returns how many read-model rows were behind.
    /// </summary>
    public async Task<int> ReconcileAsync(string serviceId, TimeSpan lag, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        DateTime since, now;
        await using (var command = new NpgsqlCommand(WatermarkSql, connection))
        {
            command.Parameters.Add(new() { Value = serviceId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (since, now) = (reader.GetDateTime(0), reader.GetDateTime(1));
        }

        var changed = 0;
        var (position, key) = (since, "");
        while (true)
        {
            var page = await ApplyPageAsync(connection, ModifiedPageSql, [serviceId, position, key, PageSize], cancellationToken);
            changed += page.Changed;
            if (page.Rows < PageSize)
            {
                break;
            }

            (position, key) = (page.LastModified, page.LastKey);
        }

        await using (var command = new NpgsqlCommand(SetWatermarkSql, connection))
        {
            command.Parameters.Add(new() { Value = serviceId });
            command.Parameters.Add(new() { Value = now - lag });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return changed;
    }

    /// <summary>
    /// Applies all stored visitor state, optionally into an emptied read model first (a rebuild).
    /// Reports progress as rows read. Totals are partial while it runs.
    /// </summary>
    public async Task<long> ReplayGrainStateAsync(
        string serviceId, bool reset, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var started = clock.GetUtcNow().UtcDateTime;
        if (reset)
        {
            await using var command = new NpgsqlCommand("SELECT ball_stats_reset()", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        long rows = 0;
        var key = "";
        while (true)
        {
            var page = await ApplyPageAsync(connection, KeyPageSql, [serviceId, key, PageSize], cancellationToken);
            rows += page.Rows;
            progress?.Report(rows);
            if (page.Rows < PageSize)
            {
                break;
            }

            key = page.LastKey;
        }

        // Everything written before the replay began is in; reconciliation takes it from there.
        await using (var command = new NpgsqlCommand(SetWatermarkSql, connection))
        {
            command.Parameters.Add(new() { Value = serviceId });
            command.Parameters.Add(new() { Value = started });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return rows;
    }

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

    private static async Task<(int Changed, long Rows, DateTime LastModified, string LastKey)> ApplyPageAsync(
        NpgsqlConnection connection, string sql, object[] parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new() { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var rows = reader.GetInt64(1);
        return rows == 0
            ? (0, 0, default, "")
            : (reader.GetInt32(0), rows, reader.GetDateTime(2), reader.GetString(3));
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
