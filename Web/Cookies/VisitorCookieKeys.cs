using Npgsql;

namespace BallOrleans.Web.Cookies;

/// <summary>One key that signs or verifies visitor cookies (<c>ball_cookie_keys</c>).</summary>
public sealed record CookieKey(int Id, byte[] Secret, DateTimeOffset SignsFrom);

/// <summary>
/// Every cookie key of the deployment, and what the bare ids of cookies from before signing are
/// checked against: when signing began, and whether any visitor was stored before it.
/// </summary>
public sealed record CookieKeyRing(IReadOnlyDictionary<int, CookieKey> Keys, DateTimeOffset SigningBegan, bool LegacyVisitors, DateTimeOffset LoadedAt)
{
    /// <summary>The newest key that has started signing.</summary>
    public CookieKey SigningKey(DateTimeOffset now) =>
        Keys.Values.Where(k => k.SignsFrom <= now).MaxBy(k => k.Id)
        ?? Keys.Values.MinBy(k => k.SignsFrom)
        ?? throw new InvalidOperationException("ball_cookie_keys is empty: run the migrations");
}

/// <summary>
/// The cookie keys, read from PostgreSQL once and then again every <see cref="ReloadEvery"/> in the
/// background: a request waits for the database only before the first read has succeeded, so a
/// cookie with a bad tag or an unknown key id costs no database read.
/// </summary>
public sealed class VisitorCookieKeys(NpgsqlDataSource dataSource, TimeProvider clock, ILogger<VisitorCookieKeys> logger)
{
    /// <summary>How often the keys are read again; a new key starts signing <see cref="ActivationDelay"/> after it is made.</summary>
    public static readonly TimeSpan ReloadEvery = TimeSpan.FromMinutes(5);

    /// <summary>Three reloads: every instance verifies a new key before any instance signs with it.</summary>
    public static readonly TimeSpan ActivationDelay = 3 * ReloadEvery;

    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    private const string LoadSql = """
        SELECT k.id, k.key, k.signs_from, s.began, s.legacy_visitors
        FROM ball_cookie_keys k CROSS JOIN ball_cookie_signing s
        """;

    private Task<CookieKeyRing>? _first;
    private CookieKeyRing? _ring;
    private long _nextReloadTicks;
    private int _reloading;

    /// <summary>The ring as last read; reads it when none was read yet, and starts a reload in the background when it is due.</summary>
    public ValueTask<CookieKeyRing> RingAsync()
    {
        var ring = Volatile.Read(ref _ring);
        if (ring is null)
        {
            return new ValueTask<CookieKeyRing>(FirstAsync());
        }

        if (clock.GetUtcNow().UtcTicks >= Interlocked.Read(ref _nextReloadTicks) && Interlocked.Exchange(ref _reloading, 1) == 0)
        {
            _ = ReloadAsync();
        }

        return ValueTask.FromResult(ring);
    }

    private Task<CookieKeyRing> FirstAsync()
    {
        var first = _first;
        if (first is null || first.IsFaulted || first.IsCanceled)
        {
            // A failed read (the database was away) is tried again by the next request.
            _first = first = LoadAndKeepAsync();
        }

        return first;
    }

    private async Task ReloadAsync()
    {
        try
        {
            await LoadAndKeepAsync();
        }
        catch (Exception ex)
        {
            // The keys in hand still sign and verify; only a rotation waits for the next try.
            logger.LogWarning("Cookie keys not reloaded; next try in {Delay}: {Reason}", RetryAfterFailure, ex.Message);
            Interlocked.Exchange(ref _nextReloadTicks, clock.GetUtcNow().Add(RetryAfterFailure).UtcTicks);
        }
        finally
        {
            Volatile.Write(ref _reloading, 0);
        }
    }

    private async Task<CookieKeyRing> LoadAndKeepAsync()
    {
        var ring = await LoadAsync();
        Volatile.Write(ref _ring, ring);
        Interlocked.Exchange(ref _nextReloadTicks, ring.LoadedAt.Add(ReloadEvery).UtcTicks);
        return ring;
    }

    private async Task<CookieKeyRing> LoadAsync()
    {
        await using var command = dataSource.CreateCommand(LoadSql);
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new Dictionary<int, CookieKey>();
        DateTimeOffset began = default;
        var legacy = false;
        while (await reader.ReadAsync())
        {
            var key = new CookieKey(reader.GetInt32(0), (byte[])reader.GetValue(1), reader.GetFieldValue<DateTimeOffset>(2));
            keys[key.Id] = key;
            began = reader.GetFieldValue<DateTimeOffset>(3);
            legacy = reader.GetBoolean(4);
        }

        return keys.Count == 0
            ? throw new InvalidOperationException("ball_cookie_keys or ball_cookie_signing is empty: run the migrations")
            : new CookieKeyRing(keys, began, legacy, clock.GetUtcNow());
    }
}
