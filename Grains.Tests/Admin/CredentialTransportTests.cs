using System.Net;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Admin;

/// <summary>
/// HTTP Basic sends the password in clear: over plain HTTP only a loopback client may send it,
/// unless TLS ends at a proxy in front. A client elsewhere is played by X-Forwarded-For from the
/// proven ingress proxy (its client certificate), which reports the client's scheme in
/// X-Forwarded-Proto.
/// </summary>
public sealed class CredentialTransportTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IDisposable
{
    private const string Remote = "203.0.113.9";
    private readonly TestIngress _ingress = new();

    private async Task<BallWebApp> SiteAsync(string purpose, bool tlsEndsAtProxy) =>
        new(await postgres.CreateDatabaseAsync(purpose), settings: new Dictionary<string, string?>
        {
            ["Stats:TlsEndsAtProxy"] = tlsEndsAtProxy ? "true" : "false",
        }, ingress: _ingress);

    public void Dispose() => _ingress.Dispose();

    [Fact]
    public async Task The_right_password_over_plain_http_from_another_machine_is_refused_without_a_challenge()
    {
        await using var site = await SiteAsync("transport_plain", tlsEndsAtProxy: false);
        using var proxy = site.ProvenProxyClient(BallWebApp.Basic("admin", BallWebApp.Password));
        using var local = site.ClientFrom(IPAddress.Loopback, BallWebApp.Basic("admin", BallWebApp.Password));

        using var remote = await proxy.SendAsync(Request(Remote, proto: "http"));
        Assert.Equal(HttpStatusCode.Forbidden, remote.StatusCode);
        Assert.False(remote.Headers.Contains("WWW-Authenticate"), "a challenge would ask the browser to send the password in clear");
        Assert.Contains("Stats__TlsEndsAtProxy", await remote.Content.ReadAsStringAsync());

        // The same client over HTTPS, as the proxy reports it, and a loopback client, are served.
        Assert.Equal(HttpStatusCode.OK, (await proxy.SendAsync(Request(Remote, proto: "https"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await local.SendAsync(Request(forwardedFor: null, proto: null))).StatusCode);
    }

    [Fact]
    public async Task With_tls_ending_at_the_proxy_plain_http_from_another_machine_is_served()
    {
        await using var site = await SiteAsync("transport_proxy_tls", tlsEndsAtProxy: true);
        using var proxy = site.ProvenProxyClient(BallWebApp.Basic("admin", BallWebApp.Password));

        Assert.Equal(HttpStatusCode.OK, (await proxy.SendAsync(Request(Remote, proto: "http"))).StatusCode);
    }

    private static HttpRequestMessage Request(string? forwardedFor, string? proto)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (proto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", proto);
        }

        return request;
    }
}
