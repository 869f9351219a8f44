using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace BallOrleans.Grains.Privacy;

/// <summary>Finds the visitor behind a pseudonymous id of the stats (for an admin's erasure).</summary>
public sealed class VisitorPseudonyms(NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster)
{
    /// <summary>The length of a pseudonymous id, in bytes (32 hex digits).</summary>
    public const int Length = 16;

    // An index probe: pid is stored in the visitor's row (set once, so it costs no HOT update).
    private const string FindSql = """
        SELECT grain_key FROM ball_grain_state
        WHERE pid = $1 AND service_id = $2 AND state_name = 'visitor' AND color IS NOT NULL
        LIMIT 1
        """;

    /// <summary>The visitor id (grain key) whose pseudonym is <paramref name="pid"/>, or null when there is none.</summary>
    public async Task<string?> FindVisitorAsync(byte[] pid, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(FindSql);
        command.Parameters.Add(new() { Value = pid });
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
