using System.Net;
using System.Security.Cryptography;
using System.Text;
using BallOrleans.Grains.Stats;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Guards the stats page and APIs: HTTP Basic as <c>admin</c> with <c>Stats:AdminPassword</c>, or,
/// when no password is configured, loopback clients only.
/// </summary>
public sealed class StatsAccessFilter(IOptions<StatsOptions> options) : IEndpointFilter
{
    public const string User = "admin";
    public const string Challenge = "Basic realm=\"ball stats\", charset=\"UTF-8\"";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers.CacheControl = "no-store";
        var password = options.Value.AdminPassword;
        if (string.IsNullOrEmpty(password))
        {
            // A null address is an in-process or socket caller we cannot place: not loopback.
            return http.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address)
                ? next(context)
                : ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status403Forbidden,
                    title: "Stats are served to loopback clients only",
                    detail: "Set Stats__AdminPassword to open them to other clients with HTTP Basic auth."));
        }

        if (HasCredentials(http.Request.Headers.Authorization, password))
        {
            return next(context);
        }

        http.Response.Headers.WWWAuthenticate = Challenge;
        return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status401Unauthorized,
            title: "Admin credentials required", detail: $"Use HTTP Basic auth as user '{User}'."));
    }

    internal static bool HasCredentials(string? header, string password)
    {
        const string scheme = "Basic ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[768];
        if (!Convert.TryFromBase64String(header[scheme.Length..].Trim(), decoded, out var length))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(decoded[..length]);
        var colon = text.IndexOf(':');
        // Both halves are compared, in constant time, whatever the first one says.
        return colon >= 0
            & SameSecret(colon >= 0 ? text[..colon] : "", User)
            & SameSecret(colon >= 0 ? text[(colon + 1)..] : "", password);
    }

    private static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
