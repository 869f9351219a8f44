namespace BallOrleans.Web.Privacy;

/// <summary>
/// Whether a request was sent by one of this site's own pages, as the browser tells it. Together
/// with the SameSite=Lax cookie, this is all a script-less form needs against cross-site posts.
/// <list type="bullet">
/// <item><c>Sec-Fetch-Site</c>, sent by every current browser and not settable by a page, must be
/// <c>same-origin</c>;</item>
/// <item><c>Origin</c> must name this host (and port) when it names one. Our pages send
/// <c>Referrer-Policy: no-referrer</c>, under which browsers post <c>Origin: null</c>; so
/// <c>null</c> passes beside <c>Sec-Fetch-Site: same-origin</c>, and only there;</item>
/// <item>a request with neither header (not a browser of this decade) is refused.</item>
/// </list>
/// </summary>
public static class SameOrigin
{
    public static bool IsSameOrigin(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"];
        var origin = request.Headers.Origin;
        if (site.Count > 0)
        {
            return site.Count == 1 && site[0] == "same-origin"
                && (origin.Count == 0 || (origin.Count == 1 && (origin[0] == "null" || IsThisHost(origin[0], request))));
        }

        return origin.Count == 1 && IsThisHost(origin[0], request);
    }

    // Host and port only: behind a TLS proxy the request arrives as http, and a page of another
    // host is the only thing this has to refuse.
    private static bool IsThisHost(string? origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
