using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Visits;

/// <summary>
/// The browser family of a user agent, for the stats' segments: the first of these tokens it
/// contains, checked in this order because browsers built on Chromium also name Chrome and
/// Safari, and Chrome names Safari:
/// <list type="bullet">
/// <item><c>Edg/</c>, <c>EdgA/</c>, <c>EdgiOS/</c>, <c>Edge/</c>: Edge</item>
/// <item><c>OPR/</c>, <c>OPiOS/</c>, <c>Opera</c>: Opera</item>
/// <item><c>SamsungBrowser/</c>: Samsung</item>
/// <item><c>Firefox/</c>, <c>FxiOS/</c>: Firefox</item>
/// <item><c>Chrome/</c>, <c>CriOS/</c>, <c>Chromium/</c>: Chrome</item>
/// <item><c>Safari/</c>: Safari</item>
/// <item>anything else, or no user agent: Other</item>
/// </list>
/// </summary>
/// <remarks>
/// A mapping of our own rather than a parser (none is served here, and uap-core's regexes are far
/// more than a segment needs): it runs once per new visitor, never on a returning visit, and
/// the families are the ones that make up nearly all browsing. Bots never get here.
/// </remarks>
public static class BrowserFamilies
{
    private static readonly (string Token, BrowserFamily Family)[] Tokens =
    [
        ("Edg/", BrowserFamily.Edge), ("EdgA/", BrowserFamily.Edge), ("EdgiOS/", BrowserFamily.Edge), ("Edge/", BrowserFamily.Edge),
        ("OPR/", BrowserFamily.Opera), ("OPiOS/", BrowserFamily.Opera), ("Opera", BrowserFamily.Opera),
        ("SamsungBrowser/", BrowserFamily.Samsung),
        ("Firefox/", BrowserFamily.Firefox), ("FxiOS/", BrowserFamily.Firefox),
        ("Chrome/", BrowserFamily.Chrome), ("CriOS/", BrowserFamily.Chrome), ("Chromium/", BrowserFamily.Chrome),
        ("Safari/", BrowserFamily.Safari),
    ];

    public static BrowserFamily Of(string? userAgent)
    {
        if (!string.IsNullOrEmpty(userAgent))
        {
            foreach (var (token, family) in Tokens)
            {
                if (userAgent.Contains(token, StringComparison.Ordinal))
                {
                    return family;
                }
            }
        }

        return BrowserFamily.Other;
    }
}
