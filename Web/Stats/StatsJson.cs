using BallOrleans.Grains.Bots;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Web.Bots;

namespace BallOrleans.Web.Stats;

/// <summary>Visitors and views of one color in <c>GET /api/stats</c>.</summary>
public sealed record ColorJson(long Visitors, long Views);

/// <summary>The sample-ratio-mismatch check in <c>GET /api/stats</c>.</summary>
public sealed record SrmJson(double ChiSquare, double PValue, bool Flagged);

/// <summary>One bot family in <c>GET /api/stats</c>: requests excluded since start-up.</summary>
public sealed record BotFamilyJson(string Family, long Requests);

/// <summary>Requests excluded as bots since start-up, summed over web processes: the total and the top families.</summary>
public sealed record BotsJson(long Total, IReadOnlyList<BotFamilyJson> Top)
{
    public static BotsJson From(BotCounts counts) =>
        new(counts.Total, [.. counts.Top(BotFigures.TopFamilies).Select(f => new BotFamilyJson(f.Key, f.Value))]);
}

/// <summary>The body of <c>GET /api/stats</c>.</summary>
public sealed record StatsJson(long Visitors, long Views, Dictionary<string, ColorJson> Colors, SrmJson Srm, BotsJson Bots, DateTimeOffset AsOf)
{
    public static StatsJson From(StatsSnapshot snapshot, SrmResult srm, BotCounts bots) => new(
        snapshot.Visitors,
        snapshot.Views,
        BallColors.All.ToDictionary(c => c.Name(), c => new ColorJson(snapshot.Of(c).Visitors, snapshot.Of(c).Views)),
        new SrmJson(srm.ChiSquare, srm.PValue, srm.Flagged),
        BotsJson.From(bots),
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
