using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>Visitors and views of one color in <c>GET /api/stats</c>.</summary>
public sealed record ColorJson(long Visitors, long Views);

/// <summary>The sample-ratio-mismatch check in <c>GET /api/stats</c>.</summary>
public sealed record SrmJson(double ChiSquare, double PValue, bool Flagged);

/// <summary>The body of <c>GET /api/stats</c>.</summary>
public sealed record StatsJson(long Visitors, long Views, Dictionary<string, ColorJson> Colors, SrmJson Srm, DateTimeOffset AsOf)
{
    public static StatsJson From(StatsSnapshot snapshot, SrmResult srm) => new(
        snapshot.Visitors,
        snapshot.Views,
        BallColors.All.ToDictionary(c => c.Name(), c => new ColorJson(snapshot.Of(c).Visitors, snapshot.Of(c).Views)),
        new SrmJson(srm.ChiSquare, srm.PValue, srm.Flagged),
        snapshot.AsOf);
}

/// <summary>One visitor in <c>GET /api/visitors</c>: the pseudonymous id, never the cookie.</summary>
public sealed record VisitorJson(
    string Id, string Color, long RedViews, long BlueViews, long Views, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)
{
    public static VisitorJson From(VisitorRow row) =>
        new(row.Id, row.Color.Name(), row.RedViews, row.BlueViews, row.Views, row.FirstSeen, row.LastSeen);
}

/// <summary>The body of <c>GET /api/visitors</c>.</summary>
public sealed record VisitorPageJson(IReadOnlyList<VisitorJson> Items, string? Next);
