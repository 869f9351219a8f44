using System.Text.RegularExpressions;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Tests.Web;

/// <summary>Reads what the ball page shows, the way a test (or a person) would.</summary>
public static partial class Pages
{
    public sealed record Ball(string Color, long Views);

    public static Ball ReadBall(string html)
    {
        var match = BallElement().Match(html);
        Assert.True(match.Success, $"no ball element in the page: {html}");
        return new Ball(match.Groups["color"].Value, long.Parse(match.Groups["views"].Value));
    }

    /// <summary>
    /// The value of the response's single <c>ball_visitor</c> Set-Cookie (the visitor id, signed:
    /// what the browser sends back), or null when none was set.
    /// </summary>
    public static string? NewVisitorId(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            return null;
        }

        var all = cookies.ToList();
        Assert.Single(all);
        var match = VisitorCookieValue().Match(all[0]);
        Assert.True(match.Success, $"unexpected cookie: {all[0]}");
        return match.Groups[1].Value;
    }

    /// <summary>The visitor id (grain key) a cookie value names.</summary>
    public static string IdOf(string cookie) =>
        VisitorCookie.TryParse(cookie, out var id, out _, out _) ? id : throw new ArgumentException($"not a visitor cookie: {cookie}");

    [GeneratedRegex("data-color=\"(?<color>[a-z]+)\" data-views=\"(?<views>\\d+)\"")]
    private static partial Regex BallElement();

    [GeneratedRegex("^ball_visitor=([A-Za-z0-9_-]{22}\\.[1-9][0-9]{0,3}\\.[A-Za-z0-9_-]{22});")]
    private static partial Regex VisitorCookieValue();
}
