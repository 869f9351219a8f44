using Npgsql;

namespace BallOrleans.Web.Cookies;

/// <summary>
/// <c>rotate-cookie-key</c>: adds a cookie key that starts signing <see cref="VisitorCookieKeys.ActivationDelay"/>
/// from now, once every web instance has read it; the old keys keep verifying, and a visitor
/// whose cookie an old key signed gets a new one on their next visit.
/// </summary>
public static class CookieKeyRotation
{
    // 256 random bits made by the database, as the first key was (no key ever leaves it but to a web instance).
    private const string AddSql = """
        INSERT INTO ball_cookie_keys (id, key, signs_from)
        SELECT coalesce(max(id), 0) + 1, sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), now() + $1
        FROM ball_cookie_keys
        RETURNING id, signs_from
        """;

    public static async Task<(int Id, DateTimeOffset SignsFrom)> AddKeyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(AddSql);
        command.Parameters.Add(new() { Value = VisitorCookieKeys.ActivationDelay });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1));
    }
}
