namespace BallOrleans.Grains.Privacy;

/// <summary>Why a visitor was erased: the erasure ledger (<c>ball_stats_erased</c>) counts erasures by it.</summary>
[GenerateSerializer]
public enum ErasureReason
{
    /// <summary>The visitor's own "Forget me" (<c>POST /forget</c>).</summary>
    Forget,

    /// <summary>Not seen for <c>Retention:Days</c>.</summary>
    Retention,

    /// <summary>An admin's <c>DELETE /api/visitors/{id}</c>.</summary>
    Admin,
}

/// <summary>The names the database keeps the reasons under.</summary>
public static class ErasureReasons
{
    public static IReadOnlyList<ErasureReason> All { get; } = [ErasureReason.Forget, ErasureReason.Retention, ErasureReason.Admin];

    public static string Name(this ErasureReason reason) => reason switch
    {
        ErasureReason.Forget => "forget",
        ErasureReason.Retention => "retention",
        ErasureReason.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    public static bool TryParse(string name, out ErasureReason reason)
    {
        foreach (var candidate in All)
        {
            if (candidate.Name() == name)
            {
                reason = candidate;
                return true;
            }
        }

        reason = default;
        return false;
    }
}
