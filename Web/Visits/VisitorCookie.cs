using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Visits;

/// <summary>The <c>ball_visitor</c> cookie: reading it defensively and minting it.</summary>
public static class VisitorCookie
{
    public const string Name = "ball_visitor";

    /// <summary>Browsers cap cookie lifetimes at 400 days; asking for more only gets truncated.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(400);

    /// <summary>The visitor id in the request, or null when it is missing or not one we could have minted.</summary>
    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(Name, out var value) && VisitorId.IsWellFormed(value) ? value : null;

    public static void Write(HttpResponse response, string visitorId, bool secure) =>
        response.Cookies.Append(Name, visitorId, Options(secure, Lifetime));

    /// <summary>Tells the browser to drop the cookie (after the visitor was forgotten).</summary>
    public static void Expire(HttpResponse response, bool secure) =>
        response.Cookies.Delete(Name, Options(secure, maxAge: null));

    private static CookieOptions Options(bool secure, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = secure,
        Path = "/",
        MaxAge = maxAge,
        IsEssential = true,
    };
}
