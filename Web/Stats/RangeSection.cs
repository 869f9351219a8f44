using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>The range part of <c>/stats</c>: who was first seen in it and their split check, the daily charts, and the segments.</summary>
public static class RangeSection
{
    public static string Render(RangeReport report)
    {
        var stats = report.Stats;
        var html = new StringBuilder();
        html.Append(Invariant($"<h2 id=\"range-title\">Days {stats.From:yyyy-MM-dd} to {stats.To:yyyy-MM-dd} (UTC)</h2>"));
        var red = stats.FirstSeenRed;
        var blue = stats.FirstSeenBlue;
        html.Append(Invariant($"<p class=\"range-visitors\" id=\"range-visitors\" data-red=\"{red.Visitors}\" data-blue=\"{blue.Visitors}\">First seen in these days: <span class=\"red\">{red.Visitors:N0} red</span> and <span class=\"blue\">{blue.Visitors:N0} blue</span> visitors, with {red.Views + blue.Views:N0} views so far.</p>"));
        html.Append(StatsPage.SrmLine("range-srm-assigned", report.AssignedSrm, "Assigned in these days (remaining + erased), split check"));
        html.Append(StatsPage.SrmLine("range-srm", report.Srm, "Of these visitors (remaining), split check"));
        html.Append("<h3>New visitors per day</h3>").Append(DailyChart.Render("daily-visitors", "new visitors", stats.Daily, t => t.Visitors));
        html.Append("<h3>Views per day</h3>").Append(DailyChart.Render("daily-views", "views", stats.Daily, t => t.Views));
        html.Append("<h3>Segments of the visitors first seen in these days</h3>").Append(Segments(report.Segments));
        return html.ToString();
    }

    private static string Segments(IReadOnlyList<(SegmentStats Segment, SrmResult Srm)> segments)
    {
        var html = new StringBuilder("<table class=\"segments\" id=\"segments\"><thead><tr><th>segment</th><th>red visitors</th><th>blue visitors</th><th>red views</th><th>blue views</th><th>split check p</th><th></th><th>anytime-valid p</th><th></th></tr></thead><tbody>");
        foreach (var (segment, srm) in segments)
        {
            var label = segment.Dimension == SegmentStats.Browser ? $"browser: {segment.Name}" : $"{segment.Name} visitors";
            html.Append(Invariant($"<tr data-dimension=\"{segment.Dimension}\" data-segment=\"{HtmlEncoder.Default.Encode(segment.Name)}\"><td>{HtmlEncoder.Default.Encode(label)}</td>"));
            foreach (var color in BallColors.All)
            {
                html.Append(Invariant($"<td data-{color.Name()}-visitors=\"{segment.Of(color).Visitors}\">{segment.Of(color).Visitors:N0}</td>"));
            }

            foreach (var color in BallColors.All)
            {
                html.Append(Invariant($"<td>{segment.Of(color).Views:N0}</td>"));
            }

            html.Append(Invariant($"<td>{StatsPage.FormatP(srm.PValue)}</td><td class=\"srm {(srm.Flagged ? "flagged" : "ok")}\">{(srm.Flagged ? "mismatch" : "ok")}</td>"));
            html.Append(srm.Sequential is { } sequential
                ? Invariant($"<td>{StatsPage.FormatP(sequential.PValue)}</td><td class=\"srm sequential {(sequential.Flagged ? "flagged" : "ok")}\">{(sequential.Flagged ? "mismatch" : "ok")}</td></tr>")
                : "<td></td><td></td></tr>");
        }

        return html.Append("</tbody></table><p class=\"note\">Returning: seen again 30 minutes or more after their first visit. Browser: the family of the first visit; unknown for visitors stored before it was recorded. Anytime-valid: each segment's sequential check is flagged at 0.001 divided by the number of segments (Bonferroni), so all of them together alarm on a healthy split at most 0.1% of the time, however often the page is watched.</p>").ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
