using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Choosing the days of <c>/stats</c> without script: links for the usual ranges, and a form of
/// two date fields sent with GET. Both keep the listing's sort and color.
/// </summary>
public static class RangePicker
{
    private static readonly int[] Presets = [7, 30, 90, 365];

    public static string Render(StatsRange range, DateOnly today, VisitorQuery query)
    {
        var kept = new StringBuilder();
        var hidden = new StringBuilder();
        if (query.Sort != VisitorSort.Default)
        {
            kept.Append("&sort=").Append(Uri.EscapeDataString(query.Sort.Name));
            hidden.Append($"<input type=\"hidden\" name=\"sort\" value=\"{HtmlEncoder.Default.Encode(query.Sort.Name)}\">");
        }

        if (query.Color is { } color)
        {
            kept.Append("&color=").Append(color.Name());
            hidden.Append($"<input type=\"hidden\" name=\"color\" value=\"{color.Name()}\">");
        }

        var html = new StringBuilder("<form class=\"range-picker\" id=\"range-picker\" method=\"get\" action=\"/stats\"><p>Days: ");
        foreach (var days in Presets)
        {
            var from = today.AddDays(1 - days);
            var label = Invariant($"last {days} days");
            html.Append(range.From == from && range.To == today
                ? $"<strong>{label}</strong> · "
                : $"<a href=\"{HtmlEncoder.Default.Encode(Invariant($"/stats?from={from:yyyy-MM-dd}&to={today:yyyy-MM-dd}") + kept)}\">{label}</a> · ");
        }

        html.Append(Invariant($"<label>from <input type=\"date\" name=\"from\" value=\"{range.From:yyyy-MM-dd}\" max=\"{today.AddDays(StatsRange.MaxDaysApart):yyyy-MM-dd}\" required></label> "));
        html.Append(Invariant($"<label>to <input type=\"date\" name=\"to\" value=\"{range.To:yyyy-MM-dd}\" max=\"{today.AddDays(StatsRange.MaxDaysApart):yyyy-MM-dd}\" required></label> "));
        html.Append(hidden).Append("<button type=\"submit\">Show</button> <span class=\"note\">UTC, both days included, at most 400 days apart.</span></p></form>");
        return html.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
