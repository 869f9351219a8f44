using System.Net;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Tests.Admin;

/// <summary>
/// X-Forwarded-For counts only from a configured proxy, seen here through the failed-login
/// throttle, which keys on the client's address: the test's proxy is 127.0.0.1, and 127.0.0.2 is
/// any other peer.
/// </summary>
public sealed class TrustedProxyTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly IPAddress Proxy = IPAddress.Loopback;
    private static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.2");

    private async Task<BallWebApp> SiteAsync(string purpose, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies:0"] = Proxy.ToString(),
            // The forwarded clients are not on loopback, and the test speaks plain HTTP.
            ["Stats:TlsEndsAtProxy"] = "true",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return new BallWebApp(await postgres.CreateDatabaseAsync(purpose), settings: settings);
    }

    [Fact]
    public async Task X_forwarded_for_from_an_unknown_peer_changes_nothing()
    {
        await using var site = await SiteAsync("proxy_unknown");
        using var stranger = site.ClientFrom(Stranger, BallWebApp.Basic("admin", "a wrong guess, long enough"));

        // Each guess claims to come from somewhere else; the throttle still counts the stranger.
        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(stranger, $"198.51.100.{i}"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await GetAsync(stranger, "198.51.100.99"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await GetAsync(stranger, forwardedFor: null));
    }

    [Fact]
    public async Task X_forwarded_for_from_a_known_proxy_names_the_client()
    {
        await using var site = await SiteAsync("proxy_known");
        using var proxy = site.ClientFrom(Proxy, BallWebApp.Basic("admin", "a wrong guess, long enough"));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(proxy, "198.51.100.1"));
        }

        // That client is locked out; another behind the same proxy, and the proxy itself, are not.
        Assert.Equal(HttpStatusCode.TooManyRequests, await GetAsync(proxy, "198.51.100.1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(proxy, "198.51.100.2"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(proxy, forwardedFor: null));
    }

    [Fact]
    public async Task Two_known_hops_with_a_forward_limit_of_two_name_the_real_client()
    {
        const string balancer = "192.0.2.10";
        await using var site = await SiteAsync("proxy_two_hops",
            ("ForwardedHeaders:KnownProxies:1", balancer), ("ForwardedHeaders:ForwardLimit", "2"));
        using var proxy = site.ClientFrom(Proxy, BallWebApp.Basic("admin", "a wrong guess, long enough"));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(proxy, $"203.0.113.50, {balancer}"));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await GetAsync(proxy, $"203.0.113.50, {balancer}"));
        // Behind the same two hops, another client is its own address, not the balancer's.
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(proxy, $"203.0.113.51, {balancer}"));
    }

    private static async Task<HttpStatusCode> GetAsync(HttpClient client, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        using var answer = await client.SendAsync(request);
        return answer.StatusCode;
    }
}
