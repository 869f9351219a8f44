using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.Configuration;

namespace BallOrleans.Web.Cookies;

/// <summary>
/// Cookies from before signing hold a bare visitor id. One is honoured (and then re-issued signed)
/// once only, and only while the deployment had visitors before signing began, signing began less
/// than <see cref="VisitorCookieOptions.LegacyWindow"/> ago, and the id's row was first seen before
/// signing began. Honouring it records a hash of the id in <c>ball_legacy_cookies_used</c> in the
/// same statement, so the same bare id presented again, even at the same moment on another web
/// instance, is a fresh visitor. A bare id minted since, such as a grain key from the cluster's
/// listing, is a fresh visitor too; so is every bare id once the window has passed, at no cost.
/// </summary>
public sealed class LegacyVisitorCookies(NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster, IOptions<VisitorCookieOptions> options)
{
    // One primary-key probe of the visitor's row and, only when it qualifies, one insert, which
    // the primary key makes a no-op for an id already used (no row comes back then).
    private const string RedeemSql = """
        INSERT INTO ball_legacy_cookies_used (id_sha256)
        SELECT sha256(convert_to($1, 'UTF8'))
        WHERE EXISTS (
            SELECT 1 FROM ball_grain_state
            WHERE grain_key = $1 AND key_n0 = 0 AND key_n1 = 0 AND state_name = 'visitor' AND service_id = $2
              AND first_seen < $3)
        ON CONFLICT (id_sha256) DO NOTHING
        RETURNING true
        """;

    private readonly TimeSpan _window = options.Value.LegacyWindow;

    /// <summary>Whether a bare id may be honoured at all now, without a database read.</summary>
    public bool MayExist(CookieKeyRing ring, DateTimeOffset now) =>
        ring.LegacyVisitors && now < ring.SigningBegan + _window;

    /// <summary>
    /// True, once, when <paramref name="visitorId"/> is a visitor first seen before signing began:
    /// it is marked as used in the same statement, so every later call for it is false.
    /// </summary>
    public async Task<bool> TryRedeemAsync(string visitorId, CookieKeyRing ring, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RedeemSql);
        command.Parameters.Add(new() { Value = visitorId, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = cluster.Value.ServiceId });
        command.Parameters.Add(new() { Value = ring.SigningBegan });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
