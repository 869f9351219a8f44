using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using BallOrleans.Grains.Bots;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>
/// The HTML of <c>/stats</c>. Everything is rendered on the server; <c>/stats.js</c> only swaps in
/// the live fragment (<c>/stats/live</c>, same query) every few seconds.
/// </summary>
public static class StatsPage
{
    public const int RefreshMilliseconds = 5000;

    public static string Render(StatsSnapshot snapshot, SrmResult srm, BotCounts bots, VisitorQuery query, VisitorPage page) => $"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Ball stats</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/site.css">
        <script src="/stats.js" defer></script>
        </head>
        <body class="stats">
        <h1>Ball stats</h1>
        <div id="live" data-refresh-ms="{RefreshMilliseconds}">
        {RenderLive(snapshot, srm, bots, query, page)}
        </div>
        </body>
        </html>
        """;

    public static string RenderLive(StatsSnapshot snapshot, SrmResult srm, BotCounts bots, VisitorQuery query, VisitorPage page)
    {
        var html = new StringBuilder();
        html.Append(Invariant($"<p class=\"as-of\">As of <time datetime=\"{snapshot.AsOf.UtcDateTime:O}\">{snapshot.AsOf.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</time>; refreshes every {RefreshMilliseconds / 1000} s.</p>"));
        html.Append("<table class=\"totals\" id=\"totals\"><thead><tr><th>color</th><th>visitors</th><th>share</th><th>views</th></tr></thead><tbody>");
        foreach (var color in BallColors.All)
        {
            var t = snapshot.Of(color);
            var share = snapshot.Visitors == 0 ? 0 : 100.0 * t.Visitors / snapshot.Visitors;
            html.Append(Invariant($"<tr class=\"{color.Name()}\"><td>{color.Name()}</td><td data-visitors=\"{t.Visitors}\">{t.Visitors:N0}</td><td>{share:0.00}%</td><td>{t.Views:N0}</td></tr>"));
        }

        html.Append(Invariant($"<tr class=\"all\"><td>all</td><td data-visitors=\"{snapshot.Visitors}\">{snapshot.Visitors:N0}</td><td>100%</td><td>{snapshot.Views:N0}</td></tr></tbody></table>"));
        html.Append(Invariant($"<p class=\"srm {(srm.Flagged ? "flagged" : "ok")}\" id=\"srm\">Split check (sample-ratio mismatch): χ² = {srm.ChiSquare:0.###}, p = {FormatP(srm.PValue)} — "));
        html.Append(srm.Flagged
            ? "<strong>mismatch</strong>: the split differs from the configured weights (p &lt; 0.001).</p>"
            : "healthy (flagged when p &lt; 0.001 with at least 8 visitors per color).</p>");
        html.Append("<h2>Visits per minute</h2>").Append(VisitsChart.Render(snapshot));
        html.Append("<h2>Bots (not counted)</h2>").Append(BotsTable.Render(bots));
        html.Append("<h2>Visitors</h2>").Append(Filters(query));
        html.Append(Table(query, page));
        return html.ToString();
    }

    private static string Filters(VisitorQuery query)
    {
        var html = new StringBuilder("<p class=\"filters\">Show: ");
        foreach (var (label, color) in new (string, BallColor?)[] { ("all", null), ("red", BallColor.Red), ("blue", BallColor.Blue) })
        {
            html.Append(color == query.Color
                ? $"<strong>{label}</strong> "
                : $"<a href=\"{Link(query.Sort, color, null, query.Limit)}\">{label}</a> ");
        }

        return html.Append("</p>").ToString();
    }

    private static string Table(VisitorQuery query, VisitorPage page)
    {
        var html = new StringBuilder("<table class=\"visitors\" id=\"visitors\"><thead><tr><th>visitor (pseudonymous)</th><th>color</th><th>red views</th><th>blue views</th>");
        html.Append(SortHeader("views", VisitorSortKey.Views, query)).Append(SortHeader("first seen", VisitorSortKey.FirstSeen, query))
            .Append(SortHeader("last seen", VisitorSortKey.LastSeen, query)).Append("</tr></thead><tbody>");
        foreach (var row in page.Rows)
        {
            html.Append(Invariant($"<tr class=\"{row.Color.Name()}\"><td class=\"id\">{row.Id}</td><td>{row.Color.Name()}</td><td>{row.RedViews}</td><td>{row.BlueViews}</td><td>{row.Views}</td><td>{row.FirstSeen.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{row.LastSeen.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td></tr>"));
        }

        html.Append("</tbody></table><p class=\"paging\">");
        if (query.Cursor is not null)
        {
            html.Append($"<a href=\"{Link(query.Sort, query.Color, null, query.Limit)}\">first page</a> ");
        }

        if (page.Next is not null)
        {
            html.Append($"<a rel=\"next\" href=\"{Link(query.Sort, query.Color, page.Next, query.Limit)}\">next page →</a>");
        }

        return html.Append("</p>").ToString();
    }

    // The first click sorts descending (most views, latest first); a second click flips it.
    private static string SortHeader(string label, VisitorSortKey key, VisitorQuery query)
    {
        var current = query.Sort.Key == key;
        var next = new VisitorSort(key, Descending: !current || !query.Sort.Descending);
        var arrow = current ? (query.Sort.Descending ? " ↓" : " ↑") : "";
        return $"<th><a href=\"{Link(next, query.Color, null, query.Limit)}\">{label}{arrow}</a></th>";
    }

    private static string Link(VisitorSort sort, BallColor? color, string? after, int limit)
    {
        var link = new StringBuilder("/stats?sort=").Append(Uri.EscapeDataString(sort.Name));
        if (color is { } c)
        {
            link.Append("&color=").Append(c.Name());
        }

        if (limit != VisitorQuery.DefaultLimit)
        {
            link.Append("&limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
        }

        if (after is not null)
        {
            link.Append("&after=").Append(Uri.EscapeDataString(after));
        }

        return HtmlEncoder.Default.Encode(link.ToString());
    }

    private static string FormatP(double p) =>
        p >= 0.001 ? p.ToString("0.####", CultureInfo.InvariantCulture) : p.ToString("0.##e+0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
