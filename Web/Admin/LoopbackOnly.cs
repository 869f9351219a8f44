using System.Net;

namespace BallOrleans.Web.Admin;

/// <summary>
/// Who the admin pages let in when no password is set: a loopback client that calls this
/// machine <c>localhost</c>, <c>127.0.0.1</c> or <c>[::1]</c> (any port).
/// </summary>
/// <remarks>
/// The name matters because of DNS rebinding: a page from evil.example, whose name its owner then
/// points at 127.0.0.1, runs in the operator's browser, reaches the site as a loopback client, and
/// could read what it answers; but its requests still say <c>Host: evil.example</c>. ASP.NET Core's
/// HostFiltering middleware is not used because its <c>AllowedHosts</c> applies to the whole site,
/// and the ball page must answer whatever name the site is published under; the check belongs to
/// this fallback alone (with a password, a rebound page has no credential to send).
/// </remarks>
public static class LoopbackOnly
{
    private static readonly string[] NamesOfThisMachine = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Whether <paramref name="context"/> may see the admin pages without a password.</summary>
    public static bool Allows(HttpContext context) =>
        IsLoopbackClient(context) && NamesThisMachine(context.Request.Host);

    /// <summary>
    /// Whether the client (after <see cref="Hosting.TrustedProxies"/>) is on this machine. A null
    /// address is an in-process caller we cannot place: not loopback. On a dual-stack socket an
    /// IPv4 client arrives as ::ffff:a.b.c.d.
    /// </summary>
    public static bool IsLoopbackClient(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote
        && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);

    /// <summary>Whether <paramref name="host"/> (the Host header; HostString keeps an IPv6 address's brackets) names this machine.</summary>
    public static bool NamesThisMachine(HostString host) =>
        host.HasValue && NamesOfThisMachine.Contains(host.Host, StringComparer.OrdinalIgnoreCase);
}
