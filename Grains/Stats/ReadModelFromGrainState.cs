using Microsoft.Extensions.Options;
using Npgsql;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Heals or rebuilds the read model from visitor grain state, in SQL without a round trip through
/// .NET: rows written since a watermark (the safety net behind the triggers, through
/// <c>ball_stats_apply</c>; the values are absolute, so reading a row twice is harmless), or
/// every row (<c>rebuild-read-model</c>).
/// </summary>
public sealed class ReadModelFromGrainState(NpgsqlDataSource dataSource, IOptions<StatsOptions> options)
{
    /// <summary>Grain-state rows per statement.</summary>
    public const int PageSize = 5000;

    // One reconciliation reads at most this many pages; a larger backlog (a database that had
    // visitors before it had stats) is worked off over the next ticks, without a call that
    // holds the report for minutes.
    private const int MaxPagesPerReconcile = 40;

    // Reconciliation: keyset over (modified_on, grain_key), the order of ball_grain_state_modified.
    private const string ModifiedPageSql = """
        SELECT ball_stats_apply(array_agg(grain_key), array_agg(color), array_agg(red_views), array_agg(blue_views),
                                array_agg(first_seen), array_agg(last_seen), array_agg(browser)),
               count(*), max(modified_on), (array_agg(grain_key ORDER BY modified_on DESC, grain_key DESC))[1]
        FROM (SELECT * FROM ball_visitor_payloads
              WHERE service_id = $1 AND modified_on >= $2 AND (modified_on, grain_key) > ($2, $3)
              ORDER BY modified_on, grain_key
              LIMIT $4) page
        """;

    // No watermark yet: start from now. The triggers have kept the read model since the tables
    // were made, so there is no history to heal.
    private const string WatermarkSql = """
        SELECT coalesce(w.modified_on, now()), coalesce(w.grain_key, ''), now()
        FROM (SELECT 1) one LEFT JOIN ball_stats_watermark w ON w.service_id = $1
        """;

    // Only the report and the rebuild write it, and either may set it back: reading again is
    // harmless, reading too little is not.
    private const string SetWatermarkSql = """
        INSERT INTO ball_stats_watermark (service_id, modified_on, grain_key) VALUES ($1, $2, $3)
        ON CONFLICT (service_id) DO UPDATE SET modified_on = excluded.modified_on, grain_key = excluded.grain_key
        """;

    /// <summary>
    /// Re-applies every visitor written since the watermark, then moves the watermark to now less
    /// the lag (writes that committed late are read again). Returns how many read-model rows were behind.
    /// </summary>
    public async Task<int> ReconcileAsync(string serviceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        DateTime position, now;
        string key;
        await using (var command = new NpgsqlCommand(WatermarkSql, connection))
        {
            command.Parameters.Add(new() { Value = serviceId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (position, key, now) = (reader.GetDateTime(0), reader.GetString(1), reader.GetDateTime(2));
        }

        var changed = 0;
        for (var pages = 1; ; pages++)
        {
            var page = await ApplyPageAsync(connection, ModifiedPageSql, [serviceId, position, key, PageSize], cancellationToken);
            changed += page.Changed;
            if (page.Rows < PageSize)
            {
                (position, key) = (now - options.Value.ReconcileLag, "");
                break;
            }

            (position, key) = (page.LastModified, page.LastKey);
            if (pages == MaxPagesPerReconcile)
            {
                break;
            }
        }

        await SetWatermarkAsync(connection, serviceId, position, key, cancellationToken);
        return changed;
    }

    /// <summary>
    /// Rebuilds the read model, totals and visits per minute from every visitor's grain state, in
    /// one transaction (<c>ball_stats_rebuild</c>); returns the visitors. Reconciliation resumes
    /// from the moment the rebuild began.
    /// </summary>
    public async Task<long> RebuildAsync(string serviceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long visitors;
        DateTime started;
        await using (var command = new NpgsqlCommand("SELECT ball_stats_rebuild($1), now()", connection, transaction))
        {
            // A million visitors take tens of seconds; the default 30 s timeout is for requests.
            command.CommandTimeout = 0;
            command.Parameters.Add(new() { Value = serviceId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (visitors, started) = (reader.GetInt64(0), reader.GetDateTime(1));
        }

        // now() is the transaction's start: everything committed before it is in the rebuild.
        await SetWatermarkAsync(connection, serviceId, started - options.Value.ReconcileLag, "", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return visitors;
    }

    private static async Task SetWatermarkAsync(
        NpgsqlConnection connection, string serviceId, DateTime modifiedOn, string key, CancellationToken cancellationToken)
    {
        // Joins the connection's open transaction, if any (Npgsql enlists commands in it).
        await using var command = new NpgsqlCommand(SetWatermarkSql, connection);
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = modifiedOn });
        command.Parameters.Add(new() { Value = key });
        await command.ExecuteNonQueryAsync(cancellationToken);
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
}
