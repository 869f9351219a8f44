using System.Globalization;
using System.Text;

namespace BallOrleans.Web.Stats;

/// <summary>The HTML of <see cref="EffectResults"/>: a compact table, one row per arm and per difference.</summary>
public static class ResultsTable
{
    public static string Render(EffectResults results)
    {
        var html = new StringBuilder(Invariant($"<table class=\"results\" id=\"results\"><caption>Views per visitor, visitors first seen {results.From:yyyy-MM-dd} to {results.To:yyyy-MM-dd} who remain (95% intervals)</caption>"));
        html.Append("<thead><tr><th></th><th>visitors</th><th>estimate</th><th>standard error</th><th>fixed-horizon interval</th><th>anytime-valid interval</th></tr></thead><tbody>");
        foreach (var (name, arm) in new[] { ("red", results.Red), ("blue", results.Blue) })
        {
            html.Append(arm is null
                ? Invariant($"<tr class=\"{name}\"><td>{name}</td><td colspan=\"5\">fewer than {NormalMixtureBoundary.MinimumPerArm} visitors</td></tr>")
                : Invariant($"<tr class=\"{name}\" data-mean=\"{arm.Mean:R}\"><td>{name}</td><td>{arm.Visitors:N0}</td><td>{arm.Mean:0.###}</td><td>{arm.StandardError:0.####}</td><td>{Format(arm.FixedHorizon, "0.###")}</td><td></td></tr>"));
        }

        if (results.Difference is { } difference)
        {
            html.Append(Row("difference", "blue − red", difference.Absolute, "0.###"));
            html.Append(Row("relative", "blue / red − 1", difference.Relative, "0.##%"));
        }

        return html.Append("</tbody></table><p class=\"note\">Read the anytime-valid interval on this live page: it covers the true difference at every look at once. The fixed-horizon interval holds only when read once, at a number of visitors chosen before the experiment began. Both assume independent visitors and weights that did not change; visitors erased since are not in them. The capped 7-day cohort figures are not built yet (docs/stats.md).</p>").ToString();
    }

    private static string Row(string id, string label, DifferenceInterval d, string format) => Invariant(
        $"<tr class=\"{id}\" data-excludes-zero=\"{(d.AnytimeValid.ExcludesZero ? "true" : "false")}\"><td>{label}</td><td></td><td>{d.Estimate.ToString(format, CultureInfo.InvariantCulture)}</td><td>{d.StandardError.ToString(format, CultureInfo.InvariantCulture)}</td><td>{Format(d.FixedHorizon, format)}</td><td>{Format(d.AnytimeValid, format)}</td></tr>");

    private static string Format(Interval interval, string format) =>
        $"{interval.Low.ToString(format, CultureInfo.InvariantCulture)} to {interval.High.ToString(format, CultureInfo.InvariantCulture)}";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
