namespace BallOrleans.Web.Stats;

/// <summary>The read-model columns a visitor listing can be ordered by.</summary>
public enum VisitorSortKey
{
    FirstSeen,
    LastSeen,
    Views,
}

/// <summary>A listing order: <c>first</c>, <c>last</c> or <c>views</c>, with a leading <c>-</c> for descending.</summary>
public sealed record VisitorSort(VisitorSortKey Key, bool Descending)
{
    // Newest visitors first: first_seen is indexed (set once per visitor), so the default page is an
    // index range, not a sort of every visitor (last_seen and views change at every visit and have
    // no index, so that visits stay HOT updates; docs/architecture.md).
    public static readonly VisitorSort Default = new(VisitorSortKey.FirstSeen, Descending: true);

    public static readonly IReadOnlyList<string> Names = ["first", "-first", "last", "-last", "views", "-views"];

    public string Name => (Descending ? "-" : "") + Key switch
    {
        VisitorSortKey.FirstSeen => "first",
        VisitorSortKey.LastSeen => "last",
        _ => "views",
    };

    public static bool TryParse(string? name, out VisitorSort sort)
    {
        var descending = name is ['-', ..];
        VisitorSortKey? key = (descending ? name![1..] : name) switch
        {
            "first" => VisitorSortKey.FirstSeen,
            "last" => VisitorSortKey.LastSeen,
            "views" => VisitorSortKey.Views,
            _ => null,
        };
        sort = key is { } k ? new VisitorSort(k, descending) : Default;
        return key is not null;
    }
}
