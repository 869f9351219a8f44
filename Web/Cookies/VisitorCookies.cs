using System.Net;
using BallOrleans.Web.Limits;

namespace BallOrleans.Web.Cookies;

/// <summary>The visitor a request's cookie names, and whether to send them a freshly signed cookie.</summary>
public sealed record CookieVisitor(string VisitorId, bool Reissue);

/// <summary>
/// What a request's cookie said: the visitor it names (null: nobody we know of), and whether a
/// <c>ball_visitor</c> cookie came that did not verify (not ours, mangled, or its tag or key
/// changed), which the exposure waterfall counts apart from a verified id that names nobody stored.
/// </summary>
public readonly record struct CookieReading(CookieVisitor? Visitor, bool Forged)
{
    public static readonly CookieReading None = new(null, false);
}

/// <summary>
/// Reads and writes the <c>ball_visitor</c> cookie (<see cref="VisitorCookie"/>): a cookie whose tag
/// verifies names its visitor; a missing, mangled or forged one names nobody (a fresh visitor), at
/// the cost of one HMAC and no grain call or database read. A bare id from before signing, within
/// the window after signing began, gets one index probe (<see cref="LegacyVisitorCookies"/>), from
/// the client address's new-visitor budget, and is honoured once.
/// </summary>
public sealed class VisitorCookies(VisitorCookieKeys keys, LegacyVisitorCookies legacy, NewVisitorLimit limit, TimeProvider clock)
{
    /// <summary>
    /// The visitor the cookie names (null when it names nobody we know of), and whether it failed
    /// to verify. Not a plain read, hence the name: a bare id from before signing is admitted once
    /// only, so admitting one spends a new-visitor token and marks the id used in the database.
    /// </summary>
    public async Task<CookieReading> AdmitAsync(HttpRequest request, IPAddress? client, CancellationToken cancellationToken = default)
    {
        // The ring is read first even without a cookie: a newcomer's cookie is signed with it.
        var ring = await keys.RingAsync();
        if (!request.Cookies.TryGetValue(VisitorCookie.Name, out var value) || string.IsNullOrEmpty(value))
        {
            return CookieReading.None;
        }

        if (!VisitorCookie.TryParse(value, out var id, out var keyId, out var tag))
        {
            return new CookieReading(null, Forged: true);
        }

        var now = clock.GetUtcNow();
        if (keyId != 0)
        {
            return ring.Keys.TryGetValue(keyId, out var key) && VisitorCookie.Verify(id, tag, key)
                // Signed by a key that no longer signs: the visitor gets the current one's, so the old key can retire.
                ? new CookieReading(new CookieVisitor(id, Reissue: keyId != ring.SigningKey(now).Id), Forged: false)
                : new CookieReading(null, Forged: true);
        }

        // A bare id spends a token of the new-visitor budgets (its address's, the instance's), as
        // minting a visitor does: guessing ids costs a prober no less than asking for new ones.
        // One not honoured names nobody we know of: an unknown id, not a forged one (it never claimed a tag).
        return legacy.MayExist(ring, now) && limit.TryMint(client)
            && await legacy.TryRedeemAsync(id, ring, cancellationToken)
            ? new CookieReading(new CookieVisitor(id, Reissue: true), Forged: false)
            : CookieReading.None;
    }

    /// <summary>Sets the cookie for <paramref name="visitorId"/>, signed with the current key.</summary>
    public async Task WriteAsync(HttpResponse response, string visitorId, bool secure)
    {
        var ring = await keys.RingAsync();
        VisitorCookie.Write(response, VisitorCookie.Sign(visitorId, ring.SigningKey(clock.GetUtcNow())), secure);
    }
}
