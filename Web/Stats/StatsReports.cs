using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Stats;

/// <summary>One page of a visitor listing and the cursor of the next (null on the last page).</summary>
public sealed record VisitorPage(IReadOnlyList<VisitorRow> Rows, string? Next);

/// <summary>The façade the stats endpoints use: cached totals with their SRM check, and visitor pages with cursors.</summary>
public sealed class StatsReports(StatsCache cache, VisitorStatsReader reader, IOptions<ColorWeightsOptions> weights)
{
    public async Task<(StatsSnapshot Snapshot, SrmResult Srm)> TotalsAsync()
    {
        var snapshot = await cache.GetAsync();
        var w = weights.Value;
        var srm = SampleRatioMismatch.Check(
            snapshot.Of(BallColor.Red).Visitors, w.RedWeight, snapshot.Of(BallColor.Blue).Visitors, w.BlueWeight);
        return (snapshot, srm);
    }

    public async Task<VisitorPage> PageAsync(VisitorQuery query, CancellationToken cancellationToken)
    {
        // One row more than asked says whether there is a next page without a count.
        var rows = await reader.PageAsync(query.Sort, query.Color, query.After, query.Limit + 1, cancellationToken);
        if (rows.Count <= query.Limit)
        {
            return new VisitorPage(rows, null);
        }

        rows.RemoveAt(rows.Count - 1);
        var key = await reader.CursorKeyAsync(cancellationToken);
        return new VisitorPage(rows, VisitorCursor.Encode(key, query.Sort, query.Color, rows[^1].PositionIn(query.Sort)));
    }
}
