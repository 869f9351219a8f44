using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Operations;

/// <summary>Guards operator pages (the Orleans Dashboard) with the admin credential.</summary>
public static class AdminAccess
{
    public const string User = "admin";

    /// <summary>Requests under <paramref name="pathPrefix"/> need the credential (or loopback when none is set).</summary>
    public static IApplicationBuilder UseAdminAccess(this IApplicationBuilder app, PathString pathPrefix) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments(pathPrefix), admin => admin.Use((context, next) =>
        {
            var password = context.RequestServices.GetRequiredService<IOptions<AdminCredentialOptions>>().Value.AdminPassword;
            if (IsAllowed(context, password))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"ball admin\", charset=\"UTF-8\"";
            return Task.CompletedTask;
        }));

    public static bool IsAllowed(HttpContext context, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[512];
        if (!Convert.TryFromBase64String(header["Basic ".Length..].Trim(), decoded, out var length))
        {
            return false;
        }

        // Hash both sides so the comparison takes the same time whatever the lengths.
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes($"{User}:{password}"));
        var given = SHA256.HashData(decoded[..length]);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
