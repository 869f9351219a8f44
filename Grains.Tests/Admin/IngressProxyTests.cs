using System.Net;
using System.Net.Http.Headers;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Web;

namespace BallOrleans.Tests.Admin;

/// <summary>
/// X-Forwarded-For counts only from the ingress proxy proven by its client certificate, with a
/// real reverse proxy (YARP) in front of the site's HTTPS port. Seen through what keys on the
/// client's address: the failed-login throttle (10 wrong passwords, then 429) and the new-visitor
/// limit. Clients are told apart by their loopback source address (127.0.0.2, 127.0.0.3, ...);
/// the proxy reaches the site from 127.0.0.1.
/// </summary>
public sealed class IngressProxyTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IDisposable
{
    private static readonly AuthenticationHeaderValue WrongPassword = BallWebApp.Basic("admin", "a wrong guess, long enough");
    private readonly TestIngress _ingress = new();

    private async Task<BallWebApp> SiteAsync(string purpose, params (string Key, string Value)[] settings) =>
        new(await postgres.CreateDatabaseAsync(purpose), settings: settings.ToDictionary(s => s.Key, s => (string?)s.Value), ingress: _ingress);

    [Fact]
    public async Task Two_clients_through_the_proxy_have_failed_login_windows_of_their_own()
    {
        await using var site = await SiteAsync("ingress_two_clients");
        site.StartServer();
        await using var proxy = await TestReverseProxy.StartAsync(site.IngressAddress, _ingress, _ingress.ProxyCertificate);
        using var alice = proxy.ClientFrom(IPAddress.Parse("127.0.0.2"), WrongPassword);
        using var bob = proxy.ClientFrom(IPAddress.Parse("127.0.0.3"), WrongPassword);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(alice, "/api/stats"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(alice, "/api/stats"));
        // Had the site keyed on the proxy's address, Bob would be locked out with Alice.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(bob, "/api/stats"));
        using var admin = proxy.ClientFrom(IPAddress.Parse("127.0.0.3"), BallWebApp.Basic("admin", BallWebApp.Password));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(admin, "/api/stats"));
    }

    [Fact]
    public async Task A_direct_peer_rotating_x_forwarded_for_without_the_proof_is_throttled_as_itself()
    {
        await using var site = await SiteAsync("ingress_direct_rotating");
        using var direct = site.ClientFrom(IPAddress.Parse("127.0.0.4"), WrongPassword);

        // Each guess claims to come from somewhere else; the site counts the socket's address.
        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(direct, "/api/stats", $"198.51.100.{i}"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(direct, "/api/stats", "198.51.100.99"));
    }

    [Fact]
    public async Task A_direct_peer_claiming_loopback_gets_no_exemption_from_the_new_visitor_limit()
    {
        await using var site = await SiteAsync("ingress_direct_loopback", ("NewVisitors:Burst", "2"), ("NewVisitors:PerAddressPerSecond", "1"));
        using var direct = site.ClientFrom(IPAddress.Parse("127.0.0.5"));

        var minted = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            using var answer = await SendAsync(direct, "/", forwardedFor: "127.0.0.1");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            minted.Add(answer.Headers.Contains("Set-Cookie"));
        }

        // ExemptLoopback is on by default; with a proxy that can prove itself, loopback is nobody special.
        Assert.Equal([true, true, false, false], minted);
    }

    [Fact]
    public async Task Only_the_proxys_certificate_opens_the_https_port()
    {
        await using var site = await SiteAsync("ingress_wrong_certificate");
        site.StartServer();
        using var otherCa = new TestCertificateAuthority("another CA");
        using var impostor = otherCa.Issue("ingress proxy", TestCertificateAuthority.ClientAuth);
        await using var impostorProxy = await TestReverseProxy.StartAsync(site.IngressAddress, _ingress, impostor);
        await using var anonymousProxy = await TestReverseProxy.StartAsync(site.IngressAddress, _ingress, certificate: null);
        await using var realProxy = await TestReverseProxy.StartAsync(site.IngressAddress, _ingress, _ingress.ProxyCertificate);

        // YARP answers 502 when the site refuses its handshake.
        using var throughImpostor = impostorProxy.ClientFrom(IPAddress.Loopback);
        Assert.Equal(HttpStatusCode.BadGateway, await StatusAsync(throughImpostor, "/health/live"));
        using var throughAnonymous = anonymousProxy.ClientFrom(IPAddress.Loopback);
        Assert.Equal(HttpStatusCode.BadGateway, await StatusAsync(throughAnonymous, "/health/live"));
        using var throughReal = realProxy.ClientFrom(IPAddress.Loopback);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(throughReal, "/health/live"));
    }

    [Fact]
    public async Task With_a_forward_limit_of_two_the_client_before_a_load_balancer_is_named()
    {
        const string balancer = "192.0.2.10";
        await using var site = await SiteAsync("ingress_two_hops", ("Ingress:ForwardLimit", "2"));
        // The proxy itself, as it passes on what a load balancer in front of it appended.
        using var proxy = site.ProvenProxyClient(WrongPassword);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(proxy, "/api/stats", $"203.0.113.50, {balancer}"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(proxy, "/api/stats", $"203.0.113.50, {balancer}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(proxy, "/api/stats", $"203.0.113.51, {balancer}"));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path, string? forwardedFor = null)
    {
        using var answer = await SendAsync(client, path, forwardedFor);
        return answer.StatusCode;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return await client.SendAsync(request);
    }

    public void Dispose() => _ingress.Dispose();
}
