using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;

namespace BallOrleans.Web.Visits;

/// <summary>
/// Cookies from before signing hold a bare visitor id. One is honoured (and then re-issued signed)
/// only when the deployment had visitors before signing began, the cookie could still be alive
/// (signing began less than <see cref="VisitorCookie.Lifetime"/> ago), and the id's row was first
/// seen before signing began: one primary-key probe here, no grain activation. A bare id minted
/// since, such as a grain key from the cluster's listing, is a fresh visitor.
/// </summary>
public sealed class LegacyVisitorCookies(NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster)
{
    private const string ProbeSql = """
        SELECT EXISTS (
            SELECT 1 FROM ball_grain_state
            WHERE grain_key = $1 AND key_n0 = 0 AND key_n1 = 0 AND state_name = 'visitor' AND service_id = $2
              AND first_seen < $3)
        """;

    /// <summary>Whether a bare id may be looked up at all, without a database read.</summary>
    public static bool MayExist(CookieKeyRing ring, DateTimeOffset now) =>
        ring.LegacyVisitors && now < ring.SigningBegan + VisitorCookie.Lifetime;

    /// <summary>True when <paramref name="visitorId"/> is a visitor first seen before signing began.</summary>
    public async Task<bool> IsFromBeforeSigningAsync(string visitorId, CookieKeyRing ring, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ProbeSql);
        command.Parameters.Add(new() { Value = visitorId });
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        command.Parameters.Add(new() { Value = ring.SigningBegan });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
