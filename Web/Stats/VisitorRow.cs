using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>Where a keyset page starts: the sort column's value and the pseudonymous id of the last row seen.</summary>
public sealed record VisitorPosition(long Value, byte[] Pid);

/// <summary>One visitor in the read model, under their pseudonymous id only.</summary>
public sealed record VisitorRow(
    byte[] Pid, BallColor Color, long RedViews, long BlueViews, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)
{
    public long Views => RedViews + BlueViews;

    /// <summary>The pseudonymous id as shown: 32 lower-case hex digits (never a valid cookie).</summary>
    public string Id => Convert.ToHexStringLower(Pid);

    /// <summary>The row's place in a listing, for the cursor of the next page.</summary>
    public VisitorPosition PositionIn(VisitorSort sort) => new(sort.Key switch
    {
        VisitorSortKey.FirstSeen => ToMicroseconds(FirstSeen),
        VisitorSortKey.LastSeen => ToMicroseconds(LastSeen),
        _ => Views,
    }, Pid);

    // PostgreSQL keeps microseconds, so a position in microseconds finds its row again exactly.
    public static long ToMicroseconds(DateTimeOffset time) => (time.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;

    public static DateTime FromMicroseconds(long microseconds) => DateTime.UnixEpoch.AddTicks(microseconds * 10);
}
