using System.Text.RegularExpressions;

namespace BallOrleans.Web.Visits;

/// <summary>Which requests count as a view. HEAD, browser prefetches and crawlers see the page but are not counted.</summary>
public static partial class VisitCounting
{
    public static bool Counts(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && !IsPrefetch(request.Headers) && !IsCrawler(request.Headers.UserAgent);

    private static bool IsPrefetch(IHeaderDictionary headers) =>
        Mentions(headers["Sec-Purpose"], "prefetch") || Mentions(headers["Purpose"], "prefetch") || Mentions(headers["X-Moz"], "prefetch");

    public static bool IsCrawler(string? userAgent) => !string.IsNullOrEmpty(userAgent) && CrawlerPattern().IsMatch(userAgent);

    private static bool Mentions(Microsoft.Extensions.Primitives.StringValues values, string word)
    {
        foreach (var value in values)
        {
            if (value is not null && value.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    // Self-declared robots: "Googlebot/2.1", "bingbot", "AhrefsBot", "Slackbot-LinkExpanding",
    // link previewers and auditing tools.
    [GeneratedRegex(@"[a-z]bot\b|crawl|spider|slurp|facebookexternalhit|embedly|bingpreview|mediapartners|lighthouse|pingdom|uptimerobot", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CrawlerPattern();
}
