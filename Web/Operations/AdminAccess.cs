using System.Net;
using System.Security.Cryptography;
using System.Text;
using BallOrleans.Grains.Stats;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Operations;

/// <summary>
/// The one admin credential: HTTP Basic as <c>admin</c> with <c>Stats:AdminPassword</c>, or, when
/// no password is configured, loopback clients only. Guards the stats (through
/// <see cref="Stats.StatsAccessFilter"/>) and the operator pages (the Orleans Dashboard).
/// </summary>
public static class AdminAccess
{
    public const string User = "admin";

    /// <summary>Requests under <paramref name="pathPrefix"/> need the credential (or loopback when none is set).</summary>
    public static IApplicationBuilder UseAdminAccess(this IApplicationBuilder app, PathString pathPrefix) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments(pathPrefix), admin => admin.Use((context, next) =>
        {
            var password = context.RequestServices.GetRequiredService<IOptions<StatsOptions>>().Value.AdminPassword;
            if (IsAllowed(context, password))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"ball admin\", charset=\"UTF-8\"";
            return Task.CompletedTask;
        }));

    public static bool IsAllowed(HttpContext context, string? password) =>
        string.IsNullOrEmpty(password)
            // A null address is an in-process or socket caller we cannot place: not loopback.
            ? context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)
            : HasCredentials(context.Request.Headers.Authorization, password);

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
