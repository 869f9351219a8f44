using System.Net;

namespace BallOrleans.Web.Visits;

/// <summary>The visitor a request's cookie names, and whether to send them a freshly signed cookie.</summary>
public sealed record CookieVisitor(string VisitorId, bool Reissue);

/// <summary>
/// Reads and writes the <c>ball_visitor</c> cookie (<see cref="VisitorCookie"/>): a cookie whose tag
/// verifies names its visitor; a missing, mangled or forged one names nobody (a fresh visitor), at
/// the cost of one HMAC and no grain call or database read. A bare id from before signing, within
/// the window after signing began, gets one index probe (<see cref="LegacyVisitorCookies"/>), from
/// the client address's new-visitor budget, and is honoured once.
/// </summary>
public sealed class VisitorCookies(VisitorCookieKeys keys, LegacyVisitorCookies legacy, NewVisitorLimit limit, TimeProvider clock)
{
    /// <summary>The visitor the cookie names, or null when it names nobody we know of.</summary>
    public async Task<CookieVisitor?> ReadAsync(HttpRequest request, IPAddress? client, CancellationToken cancellationToken = default)
    {
        // The ring is read first even without a cookie: a newcomer's cookie is signed with it.
        var ring = await keys.RingAsync();
        request.Cookies.TryGetValue(VisitorCookie.Name, out var value);
        if (!VisitorCookie.TryParse(value, out var id, out var keyId, out var tag))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (keyId != 0)
        {
            return ring.Keys.TryGetValue(keyId, out var key) && VisitorCookie.Verify(id, tag, key)
                // Signed by a key that no longer signs: the visitor gets the current one's, so the old key can retire.
                ? new CookieVisitor(id, Reissue: keyId != ring.SigningKey(now).Id)
                : null;
        }

        // A bare id spends a token of the new-visitor budgets (its address's, the instance's), as
        // minting a visitor does: guessing ids costs a prober no less than asking for new ones.
        return legacy.MayExist(ring, now) && limit.TryMint(client)
            && await legacy.TryRedeemAsync(id, ring, cancellationToken)
            ? new CookieVisitor(id, Reissue: true)
            : null;
    }

    /// <summary>Sets the cookie for <paramref name="visitorId"/>, signed with the current key.</summary>
    public async Task WriteAsync(HttpResponse response, string visitorId, bool secure)
    {
        var ring = await keys.RingAsync();
        VisitorCookie.Write(response, VisitorCookie.Sign(visitorId, ring.SigningKey(clock.GetUtcNow())), secure);
    }
}
