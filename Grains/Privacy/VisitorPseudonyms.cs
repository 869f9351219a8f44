using BallOrleans.Grains.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace BallOrleans.Grains.Privacy;

/// <summary>Finds the visitor behind a pseudonymous id of the stats (for an admin's erasure).</summary>
public sealed class VisitorPseudonyms(NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster)
{
    /// <summary>The length of a pseudonymous id, in bytes (32 hex digits).</summary>
    public const int Length = 16;

    private static readonly string FindSql = SqlQueries.Load("find_visitor_by_pid.sql");

    /// <summary>The visitor id (grain key) whose pseudonym is <paramref name="pid"/>, or null when there is none.</summary>
    public async Task<string?> FindVisitorAsync(byte[] pid, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(FindSql);
        // Usually a handful of rows; a whole table of visitors when the quick look misses.
        command.CommandTimeout = 120;
        command.Parameters.Add(new() { Value = pid });
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
