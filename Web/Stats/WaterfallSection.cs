using System.Globalization;
using System.Text;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>The exposure waterfall on <c>/stats</c>: a table of all time with its residuals and split checks, a small bar chart, and one line a day.</summary>
public static class WaterfallSection
{
    private const int ChartWidth = 600;
    private const int LabelWidth = 215;
    private const int RowHeight = 16;

    public static string Render(Waterfall waterfall)
    {
        var html = new StringBuilder();
        html.Append(Invariant($"<p class=\"note\">Two parts, each counted on its own, each with a residual that must be 0. In memory (≈): the requests each web process answered since it started, pushed every {waterfall.FlushInterval.TotalSeconds:0} s: balls shown (counted where the page renders one), then the bucket each was put in. Stored (exact): visitors and views ever assigned (counters no erasure moves), erased, and remaining, read in one statement. A residual other than 0 is the finding: a request or a visitor the books lost.</p>"));
        html.Append("<table class=\"waterfall\" id=\"waterfall\"><thead><tr><th>stage</th><th>red requests</th><th>blue requests</th><th>red visitors</th><th>blue visitors</th><th>split check p</th><th>anytime-valid p</th><th>α</th></tr></thead><tbody>");
        var part = (bool?)null;
        foreach (var stage in waterfall.AllTime.Stages)
        {
            if (part != stage.Exact)
            {
                part = stage.Exact;
                html.Append(stage.Exact
                    ? "<tr class=\"part\"><th colspan=\"8\">Stored, all time (exact)</th></tr>"
                    : "<tr class=\"part\"><th colspan=\"8\">In memory, each web process since it started (≈)</th></tr>");
            }

            var residual = stage.Stage == Waterfall.Residual;
            var rowClass = residual ? (IsZero(stage) ? " class=\"residual ok\"" : " class=\"residual flagged\"") : "";
            html.Append(Invariant($"<tr{rowClass} data-stage=\"{stage.Stage}\" data-reason=\"{stage.Reason}\" data-exact=\"{(stage.Exact ? "true" : "false")}\" data-red=\"{stage.Red.Requests}\" data-blue=\"{stage.Blue.Requests}\" data-red-visitors=\"{stage.Red.Visitors}\" data-blue-visitors=\"{stage.Blue.Visitors}\"><td>{Label(stage)}</td>"));
            html.Append(Invariant($"<td>{stage.Red.Requests:N0}</td><td>{stage.Blue.Requests:N0}</td><td>{Visitors(stage.Red)}</td><td>{Visitors(stage.Blue)}</td>"));
            html.Append(stage.Srm is { } srm
                ? Invariant($"<td class=\"srm {(srm.Flagged ? "flagged" : "ok")}\">{StatsPage.FormatP(srm.PValue)}</td>") + (srm.Sequential is { } sequential
                    ? Invariant($"<td class=\"srm {(sequential.Flagged ? "flagged" : "ok")}\">{StatsPage.FormatP(sequential.PValue)}</td>")
                    : "<td></td>") + Invariant($"<td>{StatsPage.FormatAlpha(srm.Alpha)}</td>")
                : "<td></td><td></td><td></td>");
            html.Append("</tr>");
        }

        html.Append("</tbody></table>").Append(Chart(waterfall.AllTime));
        html.Append(Invariant($"<p class=\"note\">Split checks: of visitors where a stage has them; of requests for the new-visitor limit (each is a fresh assignment); none for other requests (one visitor's requests all carry one arm). Assigned is the split alert's check of every visitor (α = {StatsPage.FormatAlpha(SplitChecks.Everyone.Alpha)}, its weight of the family above); the others page nobody and are flagged at {StatsPage.FormatAlpha(SplitChecks.DescriptiveAlpha)}. Reassigned (memo): counted, as new visitors, because the cookie named nobody stored (unknown id) or did not verify (forged id).</p>"));
        return html.Append(Days(waterfall)).ToString();
    }

    private static bool IsZero(WaterfallStage stage) =>
        stage.Red.Requests == 0 && stage.Blue.Requests == 0 && (stage.Red.Visitors ?? 0) == 0 && (stage.Blue.Visitors ?? 0) == 0;

    private static string Chart(WaterfallSlice slice)
    {
        var stages = slice.Stages.Where(s => s.Stage is not (Waterfall.Reassigned or Waterfall.Residual)).ToList();
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
        var html = new StringBuilder("<h3>Per day (red / blue)</h3><table class=\"waterfall-days\" id=\"waterfall-days\"><thead><tr><th>day</th><th>≈ shown</th><th>≈ counted</th><th>≈ not counted</th><th>≈ residual</th><th>new visitors (remaining)</th><th>erased visitors</th><th>assigned split check p</th></tr></thead><tbody>");
        foreach (var day in waterfall.Days.Reverse())
        {
            var (shown, counted, residual, remaining) = (day.Stage(Waterfall.Shown), day.Stage(Waterfall.Counted), day.Stage(Waterfall.Residual, Waterfall.InMemory), day.Stage(Waterfall.Remaining));
            var notCounted = day.Stages.Where(s => s.Stage == Waterfall.NotCounted).Aggregate((Red: 0L, Blue: 0L), (sum, s) => (sum.Red + s.Red.Requests, sum.Blue + s.Blue.Requests));
            var erased = day.Stages.Where(s => s.Stage == Waterfall.Erased).Aggregate((Red: 0L, Blue: 0L), (sum, s) => (sum.Red + (s.Red.Visitors ?? 0), sum.Blue + (s.Blue.Visitors ?? 0)));
            var check = day.Srm is { } srm
                ? Invariant($"<td class=\"srm {(srm.Flagged ? "flagged" : "ok")}\">{StatsPage.FormatP(srm.PValue)}</td>")
                : "<td>open</td>";
            html.Append(Invariant($"<tr data-day=\"{day.Day:yyyy-MM-dd}\" data-closed=\"{(day.Closed ? "true" : "false")}\"><td>{day.Day:yyyy-MM-dd}</td><td>{shown.Red.Requests:N0} / {shown.Blue.Requests:N0}</td><td>{counted.Red.Requests:N0} / {counted.Blue.Requests:N0}</td><td>{notCounted.Red:N0} / {notCounted.Blue:N0}</td>"));
            html.Append(Invariant($"<td{(IsZero(residual) ? "" : " class=\"residual flagged\"")}>{residual.Red.Requests:N0} / {residual.Blue.Requests:N0}</td><td>{remaining.Red.Visitors:N0} / {remaining.Blue.Visitors:N0}</td><td>{erased.Red:N0} / {erased.Blue:N0}</td>{check}</tr>"));
        }

        var closed = waterfall.Days.Count(d => d.Closed);
        return html.Append(Invariant($"</tbody></table><p class=\"note\">Visitors count on the day of their first visit, views on the day they were counted; erased figures on the day they had been counted on. Each closed day's split check is a chi-square of the visitors assigned on it (remaining plus erased since), flagged at 0.001 divided by the number of closed days shown (Bonferroni: {closed} here, so p &lt; {StatsPage.FormatAlpha(SplitChecks.ClosedDayAlpha(closed))}); today is open and not tested. Days page nobody.</p>")).ToString();
    }

    private static string Label(WaterfallStage stage) => (stage.Stage, stage.Reason) switch
    {
        (Waterfall.Shown, _) => "shown the ball",
        (Waterfall.Counted, _) => "counted",
        (Waterfall.NotCounted, "bot") => "not counted: bot",
        (Waterfall.NotCounted, "preview") => "not counted: preview",
        (Waterfall.NotCounted, "headOrPrefetch") => "not counted: HEAD or prefetch",
        (Waterfall.NotCounted, "newVisitorLimit") => "not counted: new-visitor limit",
        (Waterfall.Residual, Waterfall.InMemory) => "residual: shown − counted − not counted",
        (Waterfall.Reassigned, "unknownId") => "memo: unknown id",
        (Waterfall.Reassigned, "forgedId") => "memo: forged id",
        (Waterfall.Assigned, _) => "assigned",
        (Waterfall.NotCounted, "globalNewVisitorLimit") => "not counted: global new-visitor limit",
        (Waterfall.NotCounted, "cookieVisitLimit") => "not counted: visit rate of the cookie",
        (Waterfall.Erased, "forget") => "erased: forget-me",
        (Waterfall.Erased, "retention") => "erased: retention",
        (Waterfall.Erased, "admin") => "erased: admin",
        (Waterfall.Remaining, _) => "remaining",
        (Waterfall.Residual, Waterfall.Stored) => "residual: assigned − erased − remaining",
        _ => $"{stage.Stage}: {stage.Reason}",
    };

    private static string Visitors(ArmFigures figures) => figures.Visitors is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
