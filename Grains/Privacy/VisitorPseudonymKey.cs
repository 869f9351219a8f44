using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace BallOrleans.Grains.Privacy;

/// <summary>
/// Computes visitors' pseudonymous ids (<c>pid</c>) in .NET, as SQL's <c>ball_visitor_pid</c> does:
/// the first 16 bytes of HMAC-SHA256 under the database's key (<c>ball_stats_key</c>, made by the
/// migrations). The grouped storage sends each row's pid with its write, so the database does no
/// hashing on the visit path.
/// </summary>
public sealed class VisitorPseudonymKey(NpgsqlDataSource dataSource)
{
    private Task<byte[]>? _key;

    /// <summary>The pseudonymous id of <paramref name="visitorId"/>.</summary>
    public async ValueTask<byte[]> PidOfAsync(string visitorId)
    {
        var key = await KeyAsync();
        return Pid(key, visitorId);
    }

    /// <summary>The key, read once per process (it never changes for a database).</summary>
    public Task<byte[]> KeyAsync()
    {
        var key = _key;
        if (key is null || key.IsFaulted || key.IsCanceled)
        {
            // A failed read (the database was away) is tried again by the next caller.
            _key = key = ReadKeyAsync();
        }

        return key;
    }

    /// <summary>
    /// How a log line names a visitor: by pseudonym (what the stats pages show, and what an admin
    /// erases by), never by id. Without the key in hand (not read yet) it names nobody, and waits
    /// for no database.
    /// </summary>
    public string ForLogs(string visitorId) =>
        _key is { IsCompletedSuccessfully: true } key ? $"pid {Convert.ToHexStringLower(Pid(key.Result, visitorId))}" : "(pseudonym key not read yet)";

    /// <summary>The pseudonymous id of <paramref name="visitorId"/> under <paramref name="key"/>.</summary>
    public static byte[] Pid(byte[] key, string visitorId)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(visitorId), mac);
        return mac[..VisitorPseudonyms.Length].ToArray();
    }

    private async Task<byte[]> ReadKeyAsync()
    {
        await using var command = dataSource.CreateCommand("SELECT key FROM ball_stats_key");
        return await command.ExecuteScalarAsync() as byte[]
            ?? throw new InvalidOperationException("ball_stats_key is empty: run the migrations");
    }
}
