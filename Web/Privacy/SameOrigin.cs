namespace BallOrleans.Web.Privacy;

/// <summary>
/// Whether a request was sent by one of this site's own pages, as browsers say it: by
/// <c>Sec-Fetch-Site: same-origin</c> and, when present, an <c>Origin</c> naming this host.
/// Together with the SameSite=Lax cookie this is all a script-less form needs against
/// cross-site posts; a request that says neither (not a current browser) is refused too.
/// </summary>
public static class SameOrigin
{
    public static bool IsSameOrigin(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"];
        var origin = request.Headers.Origin;
        if (site.Count == 0 && origin.Count == 0)
        {
            return false;
        }

        if (site.Count > 0 && (site.Count > 1 || site[0] != "same-origin"))
        {
            return false;
        }

        // Host and port only: behind a TLS proxy the request arrives as http, and a page of
        // another host is the only thing this has to refuse.
        return origin.Count == 0
            || (origin.Count == 1 && Uri.TryCreate(origin[0], UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }
}
