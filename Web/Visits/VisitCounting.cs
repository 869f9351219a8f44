using BallOrleans.Grains.Stats;
using BallOrleans.Web.Bots;

namespace BallOrleans.Web.Visits;

/// <summary>
/// Which requests count as a view. HEAD, browser prefetches and bots see the page but are not
/// counted; a bot's GET is tallied under its family for the stats.
/// </summary>
public sealed class VisitCounting(BotDetector bots, IBotTally tally)
{
    /// <summary>Why the request sees the page without counting (null: it counts), for the exposure waterfall.</summary>
    public ExposureReason? NotCountedReason(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) || IsPrefetch(request.Headers))
        {
            return ExposureReason.HeadOrPrefetch;
        }

        var verdict = bots.Check(request.Headers.UserAgent.ToString());
        if (verdict.IsBot)
        {
            tally.Count(verdict.Family ?? BotFamily.Unnamed);
            return ExposureReason.Bot;
        }

        return null;
    }

    private static bool IsPrefetch(IHeaderDictionary headers) =>
        Mentions(headers["Sec-Purpose"], "prefetch") || Mentions(headers["Purpose"], "prefetch") || Mentions(headers["X-Moz"], "prefetch");

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
}
