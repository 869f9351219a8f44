using System.Security.Cryptography;
using System.Text;

namespace BallOrleans.Web.Admin;

/// <summary>Reads an HTTP Basic <c>Authorization</c> header and compares it with the admin credential in constant time.</summary>
public static class BasicCredentials
{
    private const string Prefix = "Basic ";

    /// <summary>True when <paramref name="header"/> claims the Basic scheme at all (right or wrong).</summary>
    public static bool IsBasic(string? header) => header is not null && header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="header"/> carries exactly <paramref name="user"/> and <paramref name="password"/>.</summary>
    public static bool Match(string? header, string user, string password)
    {
        if (!IsBasic(header) || header!.Length > 1024)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[768];
        if (!Convert.TryFromBase64String(header[Prefix.Length..].Trim(), decoded, out var length))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(decoded[..length]);
        var colon = text.IndexOf(':');
        // Both halves are compared, in constant time, whatever the first one says.
        return colon >= 0
            & SameSecret(colon >= 0 ? text[..colon] : "", user)
            & SameSecret(colon >= 0 ? text[(colon + 1)..] : "", password);
    }

    private static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
