using Npgsql;

namespace BallOrleans.Grains.Stats;

/// <summary>
/// Rebuilds the stats aggregates (totals, days, the last hour of minutes) from the visitor rows,
/// in one transaction, through the same arithmetic as visits (<c>ball_stats_rebuild</c>, which
/// first folds the stats journal, holding the fold lock and keeping writers out of it). Visits
/// keep the aggregates exact themselves; this is for a repair, after rows were changed by hand
/// or restored without their aggregates (<c>rebuild-read-model</c>).
/// </summary>
public sealed class ReadModelFromGrainState(NpgsqlDataSource dataSource)
{
    /// <summary>Rebuilds the aggregates of service <paramref name="serviceId"/>'s visitors; returns the visitors.</summary>
    public async Task<long> RebuildAsync(string serviceId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT ball_stats_rebuild($1)");
        // A million visitors take tens of seconds; the default timeout is for requests.
        command.CommandTimeout = 0;
        command.Parameters.Add(new() { Value = serviceId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
