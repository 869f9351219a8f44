using BallOrleans.Grains.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace BallOrleans.Grains.Privacy;

/// <summary>
/// Erases visitors, the same in both storage modes: <c>ball_visitors_erase</c> deletes their rows
/// and takes them out of the totals and days in the same transaction (Storage/Functions/visitors.sql).
/// </summary>
public sealed class VisitorEraser(NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster)
{
    private const string EraseSql = "SELECT erased_key FROM ball_visitors_erase($1, $2, $3, $4, $5)";

    // No index covers last_seen (a visit changes it, and an index would stop the update being
    // HOT): retention finds the expired visitors with one scan per run, which runs daily.
    private const string ExpiredSql = """
        SELECT grain_key FROM ball_grain_state
        WHERE pid IS NOT NULL AND last_seen < $2 AND service_id = $1 AND state_name = 'visitor'
        """;

    /// <summary>Deletes one visitor's row, booked under <paramref name="reason"/>; false when there was none.</summary>
    public async Task<bool> EraseAsync(string visitorId, ErasureReason reason, CancellationToken cancellationToken = default) =>
        await EraseAsync([visitorId], notSeenSince: null, reason, cancellationToken) == 1;

    /// <summary>The ids of every visitor not seen since <paramref name="cutoff"/>, for <see cref="EraseAsync(IReadOnlyList{string}, DateTimeOffset?, ErasureReason, CancellationToken)"/>.</summary>
    public async Task<List<string>> NotSeenSinceAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ExpiredSql);
        command.CommandTimeout = 0;  // one scan of every visitor; a daily job, not a request
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        command.Parameters.Add(new() { Value = cutoff.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// Deletes the visitors <paramref name="visitorIds"/> in one transaction; with
    /// <paramref name="notSeenSince"/>, only those still not seen since (a visit meanwhile keeps
    /// them). The erasure ledger books them under <paramref name="reason"/>, in the same
    /// transaction. Returns how many were erased.
    /// </summary>
    public async Task<int> EraseAsync(
        IReadOnlyList<string> visitorIds, DateTimeOffset? notSeenSince, ErasureReason reason, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(EraseSql);
        // A batch of a thousand erasures takes well under a second of the database's time.
        command.CommandTimeout = 120;
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        command.Parameters.Add(new() { Value = StorageNames.VisitorState });
        command.Parameters.Add(new() { Value = visitorIds.ToArray() });
        command.Parameters.Add(new() { Value = (object?)notSeenSince?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = reason.Name() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var erased = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            erased++;
        }

        return erased;
    }
}
