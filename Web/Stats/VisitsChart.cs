using System.Globalization;
using System.Text;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>Visits per minute per color over the last hour, as a server-rendered SVG line chart (no script, no inline style).</summary>
public static class VisitsChart
{
    private const int Width = 720, Height = 220, Left = 48, Right = 12, Top = 12, Bottom = 28;

    public static string Render(StatsSnapshot snapshot)
    {
        var minutes = StatsSnapshot.MinutesShown;
        var asOf = snapshot.AsOf.UtcTicks;
        var last = new DateTimeOffset(asOf - asOf % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var first = last.AddMinutes(1 - minutes);
        var series = BallColors.All.ToDictionary(c => c, _ => new long[minutes]);
        foreach (var m in snapshot.Minutes)
        {
            var index = (int)((m.Minute - first).Ticks / TimeSpan.TicksPerMinute);
            if (index is >= 0 and < StatsSnapshot.MinutesShown && series.TryGetValue(m.Color, out var values))
            {
                values[index] += m.Visits;
            }
        }

        var max = Math.Max(1, series.Values.SelectMany(v => v).DefaultIfEmpty(0).Max());
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int i) => Left + plotWidth * i / (double)(minutes - 1);
        double Y(long v) => Top + plotHeight - plotHeight * v / (double)max;

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"Visits per minute per color, last {minutes} minutes\">"));
        svg.Append(Invariant($"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + plotHeight}\" x2=\"{Width - Right}\" y2=\"{Top + plotHeight}\"/>"));
        svg.Append(Invariant($"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotHeight}\"/>"));
        svg.Append(Invariant($"<text class=\"label\" x=\"{Left - 6}\" y=\"{Top + 10}\" text-anchor=\"end\">{max}</text>"));
        svg.Append(Invariant($"<text class=\"label\" x=\"{Left - 6}\" y=\"{Top + plotHeight}\" text-anchor=\"end\">0</text>"));
        svg.Append(Invariant($"<text class=\"label\" x=\"{Left}\" y=\"{Height - 8}\">{first:HH:mm}</text>"));
        svg.Append(Invariant($"<text class=\"label\" x=\"{Width - Right}\" y=\"{Height - 8}\" text-anchor=\"end\">{last:HH:mm} UTC</text>"));
        foreach (var (color, values) in series)
        {
            var points = string.Join(' ', values.Select((v, i) => Invariant($"{X(i):0.#},{Y(v):0.#}")));
            svg.Append(Invariant($"<polyline class=\"series {color.Name()}\" points=\"{points}\"><title>{color.Name()}: {values.Sum()} visits</title></polyline>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
