using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using BallOrleans.Grains.Bots;
using BallOrleans.Web.Bots;

namespace BallOrleans.Web.Stats;

/// <summary>The bots section of <c>/stats</c>: requests excluded since start-up, and the top families.</summary>
public static class BotsTable
{
    public static string Render(BotCounts bots)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture,
            $"<p class=\"bots\" id=\"bots\" data-total=\"{bots.Total}\">{bots.Total:N0} requests from bots saw the ball without being counted since the web processes started.</p>");
        var top = bots.Top(BotFigures.TopFamilies);
        if (top.Count == 0)
        {
            return html.ToString();
        }

        html.Append("<table class=\"bot-families\" id=\"bot-families\"><thead><tr><th>bot family</th><th>requests</th></tr></thead><tbody>");
        foreach (var (family, requests) in top)
        {
            // Family names come from user agents: encoded, though BotFamily already keeps them plain.
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{HtmlEncoder.Default.Encode(family)}</td><td data-requests=\"{requests}\">{requests:N0}</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }
}
