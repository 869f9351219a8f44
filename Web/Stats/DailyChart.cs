using System.Globalization;
using System.Text;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>
/// A per-day chart of both colors as a server-rendered SVG (no script, no inline style): side by
/// side bars up to two months, lines beyond. Axes and days are labelled. One day far above the
/// rest (a seeding, a burst of traffic) would flatten every other day, so when the highest value
/// is more than four times the 90th percentile the axis stops at twice that percentile and the
/// days above it are drawn to the top and labelled with their value.
/// </summary>
public static class DailyChart
{
    private const int Width = 720, Height = 250, Left = 64, Right = 12, Top = 24, Bottom = 46;
    private const int MaxBarDays = 62;
    private const int MaxDayLabels = 10;

    public static string Render(string id, string quantity, IReadOnlyList<DayStats> days, Func<ColorTotals, long> value)
    {
        var series = BallColors.All.ToDictionary(c => c, c => days.Select(d => value(d.Of(c))).ToArray());
        var top = AxisTop(series.Values.SelectMany(v => v).ToList());
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var slot = plotWidth / (double)Math.Max(1, days.Count);
        double Y(double v) => Top + plotHeight - plotHeight * Math.Min(v, top) / top;

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg class=\"chart daily\" id=\"{id}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{quantity} per day and color, {days.Count} days\" data-days=\"{days.Count}\" data-top=\"{top}\">"));
        foreach (var tick in top == 1 ? new double[] { 0, 1 } : [0, top / 2.0, top])
        {
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{Left}\" y1=\"{Y(tick):0.#}\" x2=\"{Width - Right}\" y2=\"{Y(tick):0.#}\"/>"));
            svg.Append(Invariant($"<text class=\"label\" x=\"{Left - 6}\" y=\"{Y(tick) + 4:0.#}\" text-anchor=\"end\">{tick:#,0.#}</text>"));
        }

        svg.Append(Invariant($"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotHeight}\"/>"));
        svg.Append(Invariant($"<text class=\"axis-title\" transform=\"rotate(-90)\" x=\"{-(Top + plotHeight / 2)}\" y=\"14\" text-anchor=\"middle\">{quantity}</text>"));
        svg.Append(Invariant($"<text class=\"axis-title\" x=\"{Left + plotWidth / 2}\" y=\"{Height - 4}\" text-anchor=\"middle\">day (UTC)</text>"));
        var step = (int)Math.Ceiling(days.Count / (double)MaxDayLabels);
        for (var i = 0; i < days.Count; i += step)
        {
            var format = i == 0 || days[i].Day.Month == 1 && days[i].Day.Day <= step ? "yyyy-MM-dd" : "MM-dd";
            svg.Append(Invariant($"<text class=\"label day\" x=\"{Left + slot * (i + 0.5):0.#}\" y=\"{Top + plotHeight + 16}\" text-anchor=\"middle\">{days[i].Day.ToString(format, CultureInfo.InvariantCulture)}</text>"));
        }

        var offset = 0;
        foreach (var (color, values) in series)
        {
            if (days.Count <= MaxBarDays)
            {
                Bars(svg, color, values, days, slot, offset++, Y, top);
            }
            else
            {
                Line(svg, color, values, days, slot, Y, top);
            }
        }

        Legend(svg);
        return svg.Append("</svg>").ToString();
    }

    /// <summary>Where the value axis stops: a round number above the highest day, or above twice the 90th percentile when one day dwarfs the rest.</summary>
    public static long AxisTop(IReadOnlyList<long> values)
    {
        var positive = values.Where(v => v > 0).Order().ToList();
        if (positive.Count == 0)
        {
            return 1;
        }

        var max = positive[^1];
        var p90 = positive[(int)Math.Floor(0.9 * (positive.Count - 1))];
        return Round(positive.Count >= 5 && max > 4 * p90 ? 2 * p90 : max);
    }

    private static void Bars(StringBuilder svg, BallColor color, long[] values, IReadOnlyList<DayStats> days, double slot, int offset, Func<double, double> y, long top)
    {
        var width = slot * 0.38;
        for (var i = 0; i < values.Length; i++)
        {
            var x = Left + slot * i + slot * 0.1 + offset * (width + slot * 0.04);
            var barTop = y(values[i]);
            var clipped = values[i] > top;
            svg.Append(Invariant($"<rect class=\"bar {color.Name()}{(clipped ? " clipped" : "")}\" x=\"{x:0.##}\" y=\"{barTop:0.#}\" width=\"{width:0.##}\" height=\"{y(0) - barTop:0.#}\"><title>{days[i].Day:yyyy-MM-dd} {color.Name()}: {values[i]:N0}</title></rect>"));
            if (clipped)
            {
                svg.Append(Invariant($"<text class=\"label clipped\" x=\"{x + width / 2:0.#}\" y=\"{Top - 4 - 10 * offset}\" text-anchor=\"middle\">{values[i]:N0}</text>"));
            }
        }
    }

    private static void Line(StringBuilder svg, BallColor color, long[] values, IReadOnlyList<DayStats> days, double slot, Func<double, double> y, long top)
    {
        var points = string.Join(' ', values.Select((v, i) => Invariant($"{Left + slot * (i + 0.5):0.#},{y(v):0.#}")));
        svg.Append(Invariant($"<polyline class=\"series {color.Name()}\" points=\"{points}\"><title>{color.Name()}: {values.Sum():N0} over {values.Length} days</title></polyline>"));
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] > top)
            {
                svg.Append(Invariant($"<text class=\"label clipped\" x=\"{Left + slot * (i + 0.5):0.#}\" y=\"{Top - 4}\" text-anchor=\"middle\"><title>{days[i].Day:yyyy-MM-dd} {color.Name()}</title>{values[i]:N0}</text>"));
            }
        }
    }

    private static void Legend(StringBuilder svg)
    {
        // Bottom left, clear of the bars' labels at the top and the axis title in the middle.
        var x = Left;
        foreach (var color in BallColors.All)
        {
            svg.Append(Invariant($"<rect class=\"swatch {color.Name()}\" x=\"{x}\" y=\"{Height - 15}\" width=\"12\" height=\"12\"/><text class=\"label\" x=\"{x + 16}\" y=\"{Height - 5}\">{color.Name()}</text>"));
            x += 55;
        }
    }

    // 1, 2 or 5 times a power of ten, at least the value.
    private static long Round(long value)
    {
        long unit = 1;
        while (true)
        {
            foreach (var m in new long[] { 1, 2, 5 })
            {
                if (m * unit >= value)
                {
                    return m * unit;
                }
            }

            unit *= 10;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
