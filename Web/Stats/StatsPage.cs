using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using BallOrleans.Grains.Bots;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>Everything one rendering of <c>/stats</c> shows.</summary>
public sealed record StatsView(
    StatsSnapshot Snapshot, SrmResult Srm, BotCounts Bots, VisitorQuery Query, VisitorPage Page, StatsRange Range, RangeReport Report, DateOnly Today)
{
    /// <summary>The split check of everyone assigned (remaining plus erased); <see cref="Srm"/> is of those remaining.</summary>
    public SrmResult AssignedSrm { get; init; } = Srm;

    public Waterfall? Waterfall { get; init; }
}

/// <summary>
/// The HTML of <c>/stats</c>. Everything is rendered on the server; <c>/stats.js</c> only swaps in
/// the live fragment (<c>/stats/live</c>, same query) every few seconds. The range picker stays
/// outside that fragment, so a refresh never resets a date being typed.
/// </summary>
public static class StatsPage
{
    public const int RefreshMilliseconds = 5000;

    public static string Render(StatsView view) => $"""
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
        {RangePicker.Render(view.Range, view.Today, view.Query)}
        <div id="live" data-refresh-ms="{RefreshMilliseconds}">
        {RenderLive(view)}
        </div>
        </body>
        </html>
        """;

    public static string RenderLive(StatsView view)
    {
        var (snapshot, srm, bots, query, page) = (view.Snapshot, view.Srm, view.Bots, view.Query, view.Page);
        var html = new StringBuilder();
        html.Append(Invariant($"<p class=\"as-of\">As of <time datetime=\"{snapshot.AsOf.UtcDateTime:O}\">{snapshot.AsOf.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</time>; refreshes every {RefreshMilliseconds / 1000} s.</p>"));
        html.Append("<h2>All visitors</h2>");
        html.Append("<table class=\"totals\" id=\"totals\"><thead><tr><th>color</th><th>visitors</th><th>share</th><th>views</th></tr></thead><tbody>");
        foreach (var color in BallColors.All)
        {
            var t = snapshot.Of(color);
            var share = snapshot.Visitors == 0 ? 0 : 100.0 * t.Visitors / snapshot.Visitors;
            html.Append(Invariant($"<tr class=\"{color.Name()}\"><td>{color.Name()}</td><td data-visitors=\"{t.Visitors}\">{t.Visitors:N0}</td><td>{share:0.00}%</td><td>{t.Views:N0}</td></tr>"));
        }

        html.Append(Invariant($"<tr class=\"all\"><td>all</td><td data-visitors=\"{snapshot.Visitors}\">{snapshot.Visitors:N0}</td><td>100%</td><td>{snapshot.Views:N0}</td></tr></tbody></table>"));
        var erased = view.Report.Stats.Erased;
        html.Append(Invariant($"<p class=\"erased\" id=\"erased\" data-red=\"{erased.Of(BallColor.Red).Visitors}\" data-blue=\"{erased.Of(BallColor.Blue).Visitors}\">Erased since (forget-me, retention, admin): <span class=\"red\">{erased.Of(BallColor.Red).Visitors:N0} red</span> and <span class=\"blue\">{erased.Of(BallColor.Blue).Visitors:N0} blue</span> visitors, with {erased.Of(BallColor.Red).Views + erased.Of(BallColor.Blue).Views:N0} views.</p>"));
        html.Append(SrmLine("srm-assigned", view.AssignedSrm, "Assigned (remaining + erased), split check"));
        html.Append(SrmLine("srm", srm, "Remaining, split check"));
        if (view.Waterfall is { } waterfall)
        {
            html.Append("<h2>Exposure waterfall</h2>").Append(WaterfallSection.Render(waterfall));
        }

        html.Append("<h2>Visits per minute</h2>").Append(VisitsChart.Render(snapshot));
        html.Append(RangeSection.Render(view.Report));
        html.Append("<h2>Bots (not counted)</h2>").Append(BotsTable.Render(bots));
        html.Append("<h2>Visitors</h2>").Append(Filters(query, view.Range));
        html.Append(Table(query, page, view.Range));
        return html.ToString();
    }

    /// <summary>A split check as a sentence; <paramref name="id"/> names the element.</summary>
    public static string SrmLine(string id, SrmResult srm, string lead = "Split check")
    {
        var html = new StringBuilder(Invariant($"<p class=\"srm {(srm.Flagged ? "flagged" : "ok")}\" id=\"{id}\">{lead} (sample-ratio mismatch): χ² = {srm.ChiSquare:0.###}, p = {FormatP(srm.PValue)} — "));
        html.Append(srm.Flagged
            ? "<strong>mismatch</strong>: the split differs from the configured weights (p &lt; 0.001)."
            : "healthy (flagged when p &lt; 0.001 with at least 8 visitors per color).");
        var sequential = srm.Sequential;
        return html.Append(Invariant($" <span class=\"sequential {(sequential.Flagged ? "flagged" : "ok")}\" id=\"{id}-sequential\">Watched continuously (anytime-valid): log Bayes factor {sequential.LogBayesFactor:0.##}, p = {FormatP(sequential.PValue)} — {(sequential.Flagged ? "<strong>mismatch</strong>" : "healthy")}.</span></p>")).ToString();
    }

    private static string Filters(VisitorQuery query, StatsRange range)
    {
        var html = new StringBuilder("<p class=\"filters\">Show: ");
        foreach (var (label, color) in new (string, BallColor?)[] { ("all", null), ("red", BallColor.Red), ("blue", BallColor.Blue) })
        {
            html.Append(color == query.Color
                ? $"<strong>{label}</strong> "
                : $"<a href=\"{Link(query.Sort, color, null, query.Limit, range)}\">{label}</a> ");
        }

        return html.Append("</p>").ToString();
    }

    private static string Table(VisitorQuery query, VisitorPage page, StatsRange range)
    {
        var html = new StringBuilder("<table class=\"visitors\" id=\"visitors\"><thead><tr><th>visitor (pseudonymous)</th><th>color</th><th>red views</th><th>blue views</th>");
        html.Append(SortHeader("views", VisitorSortKey.Views, query, range)).Append(SortHeader("first seen", VisitorSortKey.FirstSeen, query, range))
            .Append(SortHeader("last seen", VisitorSortKey.LastSeen, query, range)).Append("</tr></thead><tbody>");
        foreach (var row in page.Rows)
        {
            html.Append(Invariant($"<tr class=\"{row.Color.Name()}\"><td class=\"id\">{row.Id}</td><td>{row.Color.Name()}</td><td>{row.RedViews}</td><td>{row.BlueViews}</td><td>{row.Views}</td><td>{row.FirstSeen.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{row.LastSeen.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td></tr>"));
        }

        html.Append("</tbody></table><p class=\"paging\">");
        if (query.Cursor is not null)
        {
            html.Append($"<a href=\"{Link(query.Sort, query.Color, null, query.Limit, range)}\">first page</a> ");
        }

        if (page.Next is not null)
        {
            html.Append($"<a rel=\"next\" href=\"{Link(query.Sort, query.Color, page.Next, query.Limit, range)}\">next page →</a>");
        }

        return html.Append("</p>").ToString();
    }

    // The first click sorts descending (most views, latest first); a second click flips it.
    private static string SortHeader(string label, VisitorSortKey key, VisitorQuery query, StatsRange range)
    {
        var current = query.Sort.Key == key;
        var next = new VisitorSort(key, Descending: !current || !query.Sort.Descending);
        var arrow = current ? (query.Sort.Descending ? " ↓" : " ↑") : "";
        return $"<th><a href=\"{Link(next, query.Color, null, query.Limit, range)}\">{label}{arrow}</a></th>";
    }

    private static string Link(VisitorSort sort, BallColor? color, string? after, int limit, StatsRange range)
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

        if (range.Explicit)
        {
            link.Append('&').Append(range.Query);
        }

        return HtmlEncoder.Default.Encode(link.ToString());
    }

    public static string FormatP(double p) =>
        p >= 0.001 ? p.ToString("0.####", CultureInfo.InvariantCulture) : p.ToString("0.##e+0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
