using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Cookies;

/// <summary>
/// The <c>ball_visitor</c> cookie's value, <c>{visitor id}.{key id}.{tag}</c>: the tag is the first
/// 128 bits of HMAC-SHA256 of the id under that cookie key (<see cref="VisitorCookieKeys"/>), so
/// only this deployment can make a cookie that names a visitor.
/// </summary>
/// <remarks>
/// An HMAC beside the pseudonym key rather than ASP.NET Core Data Protection: the id is not secret
/// from its holder, so Data Protection's encryption would only triple the cookie's length (about
/// 130 characters instead of 47), and its key ring may be reloaded from the repository when a
/// payload names a key it does not know (dotnet/aspnetcore#3975), which would turn forged cookies
/// back into database reads. Here a key id that is not in the ring is simply a bad tag.
/// </remarks>
public static class VisitorCookie
{
    public const string Name = "ball_visitor";

    /// <summary>Browsers cap cookie lifetimes at 400 days; asking for more only gets truncated.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(400);

    private const int TagBytes = 16;
    private const int TagLength = 22;
    private static readonly byte[] Purpose = Encoding.ASCII.GetBytes("ball_visitor cookie v1\n");

    /// <summary>The cookie value for <paramref name="visitorId"/>, signed with <paramref name="key"/>.</summary>
    public static string Sign(string visitorId, CookieKey key) =>
        $"{visitorId}.{key.Id.ToString(CultureInfo.InvariantCulture)}.{Base64Url.EncodeToString(Tag(key.Secret, visitorId))}";

    /// <summary>
    /// Splits a cookie value: a signed one into id, key id and tag; a bare well-formed id (a cookie
    /// from before signing) into the id alone (key id 0). False for anything else.
    /// </summary>
    public static bool TryParse(string? value, out string visitorId, out int keyId, out byte[] tag)
    {
        visitorId = "";
        keyId = 0;
        tag = [];
        if (value is null)
        {
            return false;
        }

        var parts = value.Split('.');
        if (parts.Length == 1)
        {
            visitorId = value;
            return VisitorId.IsWellFormed(value);
        }

        // One spelling per cookie: a key id without sign or leading zero, a tag whose spare bits are zero.
        if (parts.Length != 3 || !VisitorId.IsWellFormed(parts[0])
            || parts[1].Length is < 1 or > 4 || parts[1][0] == '0' || !parts[1].All(char.IsAsciiDigit)
            || parts[2].Length != TagLength || !Base64Url.IsValid(parts[2], out var decoded) || decoded != TagBytes
            || parts[2][^1] is not ('A' or 'Q' or 'g' or 'w'))
        {
            return false;
        }

        visitorId = parts[0];
        keyId = int.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture);
        tag = Base64Url.DecodeFromChars(parts[2]);
        return true;
    }

    /// <summary>The id a well-formed cookie names, verified or not (for the exposure memo of a cookie that named nobody stored); null without one.</summary>
    public static string? PresentedId(HttpRequest request) =>
        request.Cookies.TryGetValue(Name, out var value) && TryParse(value, out var id, out _, out _) ? id : null;

    /// <summary>True when <paramref name="tag"/> is <paramref name="visitorId"/>'s under <paramref name="key"/> (compared in constant time).</summary>
    public static bool Verify(string visitorId, byte[] tag, CookieKey key) =>
        CryptographicOperations.FixedTimeEquals(Tag(key.Secret, visitorId), tag);

    public static void Write(HttpResponse response, string value, bool secure) =>
        response.Cookies.Append(Name, value, Options(secure, Lifetime));

    /// <summary>Tells the browser to drop the cookie (after the visitor was forgotten).</summary>
    public static void Expire(HttpResponse response, bool secure) =>
        response.Cookies.Delete(Name, Options(secure, maxAge: null));

    private static byte[] Tag(byte[] secret, string visitorId)
    {
        // The purpose prefix keeps the tag apart from every other MAC of an id (the pseudonym is
        // one, under another key, and the stats pages show it).
        var message = new byte[Purpose.Length + Encoding.ASCII.GetByteCount(visitorId)];
        Purpose.CopyTo(message, 0);
        Encoding.ASCII.GetBytes(visitorId, message.AsSpan(Purpose.Length));
        return HMACSHA256.HashData(secret, message)[..TagBytes];
    }

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
