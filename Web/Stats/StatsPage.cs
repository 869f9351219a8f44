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
    /// <summary>The split alert's family on the assigned counters (<see cref="SplitChecks"/>); <see cref="Srm"/> is of those remaining.</summary>
    public IReadOnlyList<FamilyCheck> Family { get; init; } = [];

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
        var (erasedRed, erasedBlue) = (snapshot.ErasedOf(BallColor.Red), snapshot.ErasedOf(BallColor.Blue));
        html.Append(Invariant($"<p class=\"erased\" id=\"erased\" data-red=\"{erasedRed.Visitors}\" data-blue=\"{erasedBlue.Visitors}\">Erased since (forget-me, retention, admin): <span class=\"red\">{erasedRed.Visitors:N0} red</span> and <span class=\"blue\">{erasedBlue.Visitors:N0} blue</span> visitors, with {erasedRed.Views + erasedBlue.Views:N0} views.</p>"));
        if (view.Family.FirstOrDefault(c => c.Member.Browser is null) is { } everyone)
        {
            html.Append(SrmLine("srm-assigned", everyone.Srm,
                Invariant($"Assigned ({everyone.Red.Visitors:N0} red, {everyone.Blue.Visitors:N0} blue, counted apart from erasures), split check")));
        }

        html.Append(SrmLine("srm", srm, "Remaining (descriptive: pages nobody), split check"));
        html.Append(FamilyTable(view.Family));
        html.Append("<h2>Results</h2>").Append(ResultsTable.Render(EffectResults.Of(view.Report.Stats)));
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

    /// <summary>A split check as a sentence, with the alpha it is flagged at; <paramref name="id"/> names the element.</summary>
    public static string SrmLine(string id, SrmResult srm, string lead = "Split check")
    {
        var html = new StringBuilder(Invariant($"<p class=\"srm {(srm.Flagged ? "flagged" : "ok")}\" id=\"{id}\">{lead} (sample-ratio mismatch): χ² = {srm.ChiSquare:0.###}, p = {FormatP(srm.PValue)} — "));
        html.Append(srm.Flagged
            ? Invariant($"<strong>mismatch</strong>: the split differs from the configured weights (p &lt; {FormatAlpha(srm.Alpha)}).")
            : Invariant($"healthy (flagged when p &lt; {FormatAlpha(srm.Alpha)} with at least 8 visitors per color)."));
        if (srm.Sequential is { } sequential)
        {
            html.Append(Invariant($" <span class=\"sequential {(sequential.Flagged ? "flagged" : "ok")}\" id=\"{id}-sequential\">Watched continuously (anytime-valid, flagged when p &lt; {FormatAlpha(sequential.Alpha)}): log Bayes factor {sequential.LogBayesFactor:0.##}, p = {FormatP(sequential.PValue)} — {(sequential.Flagged ? "<strong>mismatch</strong>" : "healthy")}.{LatchText(sequential.Latched)}</span>"));
        }

        return html.Append("</p>").ToString();
    }

    /// <summary>The split alert's family: each check, its weight and alpha, the assigned visitors it ran on, and both tests.</summary>
    private static string FamilyTable(IReadOnlyList<FamilyCheck> family)
    {
        var html = new StringBuilder("<table class=\"split-family\" id=\"split-family\"><thead><tr><th>assigned visitors of</th><th>weight</th><th>α</th><th>red visitors</th><th>blue visitors</th><th>split check p</th><th>anytime-valid p</th></tr></thead><tbody>");
        foreach (var check in family)
        {
            var (srm, sequential) = (check.Srm, check.Srm.Sequential);
            html.Append(Invariant($"<tr data-browser=\"{check.Member.Name}\" data-alpha=\"{check.Member.Alpha:R}\"><td>{(check.Member.Browser is null ? "every browser" : check.Member.Name)}</td><td>{SplitChecks.WeightText(check.Member.Weight)}</td><td>{FormatAlpha(check.Member.Alpha)}</td>"));
            html.Append(Invariant($"<td>{check.Red.Visitors:N0}</td><td>{check.Blue.Visitors:N0}</td><td class=\"srm {(srm.Flagged ? "flagged" : "ok")}\">{FormatP(srm.PValue)}</td>"));
            html.Append(sequential is null ? "<td></td>" : Invariant($"<td class=\"srm {(sequential.Flagged ? "flagged" : "ok")}\">{FormatP(sequential.PValue)}{LatchText(sequential.Latched)}</td>"));
            html.Append("</tr>");
        }

        return html.Append(Invariant($"</tbody></table><p class=\"note\">The split alert's family: every visitor assigned, and each browser family of the first visit. Each check is flagged at {FormatAlpha(SplitChecks.FamilyAlpha)} times its weight (weighted Bonferroni: the weights sum to 1), so on a healthy split the whole family alarms at most {FormatAlpha(SplitChecks.FamilyAlpha)} of the time, however often it is watched. The alert pages on the anytime-valid column only; nothing else on this page pages anyone.</p>")).ToString();
    }

    /// <summary>A latched check's first crossing, as a sentence (empty when there is none).</summary>
    private static string LatchText(SplitCheckLatch? latch) => latch is null ? "" : Invariant(
        $" <span class=\"latched\" data-latched-at=\"{latch.FlaggedAt.UtcDateTime:O}\">Flagged since <time datetime=\"{latch.FlaggedAt.UtcDateTime:O}\">{latch.FlaggedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC</time>, at {latch.RedVisitors:N0} red and {latch.BlueVisitors:N0} blue (log Bayes factor {latch.LogBayesFactor:0.##}); it stays flagged.</span>");

    /// <summary>An alpha as the page writes it: 0.001, 0.0005, 7.1e-5.</summary>
    public static string FormatAlpha(double alpha) =>
        alpha >= 0.0001 ? alpha.ToString("0.#####", CultureInfo.InvariantCulture) : alpha.ToString("0.##e+0", CultureInfo.InvariantCulture);

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
