using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace BallOrleans.Grains.Privacy;

/// <summary>
/// Deletes visitors' grain-state rows with plain SQL, the same in both storage modes (the grouped
/// storage and the ADO.NET provider keep the same rows). The stats triggers erase everything
/// derived from a row in the same transaction.
/// </summary>
public sealed class VisitorEraser(NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster)
{
    private static readonly string ForgetSql = SqlQueries.Load("forget_visitor.sql");
    private static readonly string ExpiredSql = SqlQueries.Load("erase_expired_visitors.sql");

    /// <summary>Deletes one visitor's row; false when there was none.</summary>
    public async Task<bool> EraseAsync(string visitorId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ForgetSql);
        command.Parameters.Add(new() { Value = visitorId });
        command.Parameters.Add(new() { Value = StorageNames.VisitorState });
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Deletes up to <paramref name="limit"/> visitors neither written nor seen since
    /// <paramref name="cutoff"/>, in one transaction; returns how many.
    /// </summary>
    public async Task<int> EraseNotSeenSinceAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ExpiredSql);
        // A batch of a thousand erasures takes about a second of the database's time.
        command.CommandTimeout = 120;
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        command.Parameters.Add(new() { Value = cutoff.UtcDateTime });
        command.Parameters.Add(new() { Value = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
