using System.Globalization;
using System.Text;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>The exposure waterfall on <c>/stats</c>: a table of all time with its split checks, a small bar chart, and one line a day.</summary>
public static class WaterfallSection
{
    private const int ChartWidth = 600;
    private const int LabelWidth = 215;
    private const int RowHeight = 16;

    public static string Render(Waterfall waterfall)
    {
        var html = new StringBuilder();
        html.Append(Invariant($"<p class=\"note\">Requests shown the ball, then what left the count at each stage. Stages marked ≈ are counted in each web process's memory since it started and pushed every {waterfall.FlushInterval.TotalSeconds:0} s: approximate. The others are stored: exact. A counted request is a view.</p>"));
        html.Append("<table class=\"waterfall\" id=\"waterfall\"><thead><tr><th>stage</th><th>red requests</th><th>blue requests</th><th>no ball</th><th>red visitors</th><th>blue visitors</th><th>split check p</th><th>anytime-valid p</th></tr></thead><tbody>");
        foreach (var stage in waterfall.AllTime.Stages)
        {
            html.Append(Invariant($"<tr data-stage=\"{stage.Stage}\" data-reason=\"{stage.Reason}\" data-exact=\"{(stage.Exact ? "true" : "false")}\" data-red=\"{stage.Red.Requests}\" data-blue=\"{stage.Blue.Requests}\"><td>{Label(stage)}</td>"));
            html.Append(Invariant($"<td>{stage.Red.Requests:N0}</td><td>{stage.Blue.Requests:N0}</td><td>{stage.None.Requests:N0}</td><td>{Visitors(stage.Red)}</td><td>{Visitors(stage.Blue)}</td>"));
            html.Append(stage.Srm is { } srm
                ? Invariant($"<td class=\"srm {(srm.Flagged ? "flagged" : "ok")}\">{StatsPage.FormatP(srm.PValue)}</td><td class=\"srm {(srm.Sequential.Flagged ? "flagged" : "ok")}\">{StatsPage.FormatP(srm.Sequential.PValue)}</td>")
                : "<td></td><td></td>");
            html.Append("</tr>");
        }

        html.Append("</tbody></table>").Append(Chart(waterfall.AllTime));
        html.Append("<p class=\"note\">Split checks: of visitors where a stage has them; of requests for the new-visitor limit (each is a fresh assignment); none for other requests (one visitor's requests all carry one arm). Reassigned (memo): counted, as new visitors, because the cookie named nobody stored or did not verify.</p>");
        return html.Append(Days(waterfall)).ToString();
    }

    private static string Chart(WaterfallSlice slice)
    {
        var stages = slice.Stages.Where(s => s.Stage != Waterfall.Reassigned).ToList();
        var max = Math.Max(1, stages.Max(s => Math.Max(s.Red.Requests, s.Blue.Requests)));
        var height = stages.Count * RowHeight * 2 + 8;
        var svg = new StringBuilder(Invariant($"<svg class=\"waterfall-chart\" id=\"waterfall-chart\" viewBox=\"0 0 {ChartWidth} {height}\" width=\"{ChartWidth}\" height=\"{height}\" role=\"img\" aria-label=\"Requests per stage, red and blue\">"));
        var y = 4;
        foreach (var stage in stages)
        {
            svg.Append(Invariant($"<text x=\"0\" y=\"{y + RowHeight + 4}\" font-size=\"11\">{(stage.Exact ? "" : "≈ ")}{Label(stage)}</text>"));
            foreach (var (color, figures) in new[] { (BallColor.Red, stage.Red), (BallColor.Blue, stage.Blue) })
            {
                var width = (double)(ChartWidth - LabelWidth - 60) * figures.Requests / max;
                svg.Append(Invariant($"<rect class=\"{color.Name()}\" x=\"{LabelWidth}\" y=\"{y}\" width=\"{width:0.#}\" height=\"{RowHeight - 3}\"><title>{color.Name()}: {figures.Requests:N0}</title></rect>"));
                svg.Append(Invariant($"<text x=\"{LabelWidth + width + 4:0.#}\" y=\"{y + RowHeight - 5}\" font-size=\"10\">{figures.Requests:N0}</text>"));
                y += RowHeight;
            }
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Days(Waterfall waterfall)
    {
        var html = new StringBuilder("<h3>Per day (red / blue)</h3><table class=\"waterfall-days\" id=\"waterfall-days\"><thead><tr><th>day</th><th>≈ shown</th><th>≈ not counted</th><th>counted views</th><th>assigned visitors</th><th>erased visitors</th><th>remaining visitors</th></tr></thead><tbody>");
        foreach (var day in waterfall.Days.Reverse())
        {
            var stage = day.Stages.ToLookup(s => s.Stage);
            var shown = stage[Waterfall.Shown].Single();
            var counted = stage[Waterfall.Counted].Single();
            var remaining = stage[Waterfall.Remaining].Single();
            var notCounted = stage[Waterfall.NotCounted].Aggregate((Red: 0L, Blue: 0L), (sum, s) => (sum.Red + s.Red.Requests, sum.Blue + s.Blue.Requests));
            var erased = stage[Waterfall.Erased].Aggregate((Red: 0L, Blue: 0L), (sum, s) => (sum.Red + (s.Red.Visitors ?? 0), sum.Blue + (s.Blue.Visitors ?? 0)));
            html.Append(Invariant($"<tr data-day=\"{day.Day:yyyy-MM-dd}\"><td>{day.Day:yyyy-MM-dd}</td><td>{shown.Red.Requests:N0} / {shown.Blue.Requests:N0}</td><td>{notCounted.Red:N0} / {notCounted.Blue:N0}</td>"));
            html.Append(Invariant($"<td>{counted.Red.Requests:N0} / {counted.Blue.Requests:N0}</td><td>{counted.Red.Visitors:N0} / {counted.Blue.Visitors:N0}</td><td>{erased.Red:N0} / {erased.Blue:N0}</td><td>{remaining.Red.Visitors:N0} / {remaining.Blue.Visitors:N0}</td></tr>"));
        }

        return html.Append("</tbody></table><p class=\"note\">Visitors count on the day of their first visit, views on the day they were counted; erased figures on the day they had been counted on. Each day's split checks (in <code>/api/stats</code>) are at 0.001 divided by the number of days (Bonferroni).</p>").ToString();
    }

    private static string Label(WaterfallStage stage) => (stage.Stage, stage.Reason) switch
    {
        (Waterfall.Shown, _) => "shown the ball",
        (Waterfall.NotCounted, "bot") => "not counted: bot",
        (Waterfall.NotCounted, "preview") => "not counted: preview",
        (Waterfall.NotCounted, "headOrPrefetch") => "not counted: HEAD or prefetch",
        (Waterfall.NotCounted, "newVisitorLimit") => "not counted: new-visitor limit",
        (Waterfall.NotCounted, "globalNewVisitorLimit") => "not counted: global new-visitor limit",
        (Waterfall.NotCounted, "cookieVisitLimit") => "not counted: visit rate of the cookie",
        (Waterfall.Counted, _) => "counted (assigned)",
        (Waterfall.Erased, "forget") => "erased: forget-me",
        (Waterfall.Erased, "retention") => "erased: retention",
        (Waterfall.Erased, "admin") => "erased: admin",
        (Waterfall.Remaining, _) => "remaining",
        (Waterfall.Reassigned, "unknownId") => "memo: unknown id",
        (Waterfall.Reassigned, "forgedId") => "memo: forged id",
        _ => $"{stage.Stage}: {stage.Reason}",
    };

    private static string Visitors(ArmFigures figures) => figures.Visitors is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
