using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// A real reverse proxy (YARP on Kestrel, on a free loopback port, in this process) in front of a
/// site's HTTPS port, as the ingress is in Kubernetes: it presents a client certificate to the
/// site and sets X-Forwarded-For and -Proto to what it saw itself (YARP's default), whatever the
/// client sent.
/// </summary>
public sealed class TestReverseProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Uri _address;

    private TestReverseProxy(WebApplication app, Uri address)
    {
        _app = app;
        _address = address;
    }

    /// <param name="site">The site's HTTPS address.</param>
    /// <param name="ingress">Checks the site's certificate; the proxy presents <paramref name="certificate"/>.</param>
    /// <param name="certificate">The proxy's client certificate; null: none.</param>
    public static async Task<TestReverseProxy> StartAsync(Uri site, TestIngress ingress, X509Certificate2? certificate)
    {
        var address = new Uri($"http://127.0.0.1:{PostgresServer.FreePort()}/");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(address.ToString());
        builder.Services.AddReverseProxy()
            .LoadFromMemory(
                [new RouteConfig { RouteId = "site", ClusterId = "site", Match = new RouteMatch { Path = "{**path}" } }],
                [new ClusterConfig
                {
                    ClusterId = "site",
                    Destinations = new Dictionary<string, DestinationConfig> { ["site"] = new() { Address = site.ToString() } },
                }])
            .ConfigureHttpClient((_, handler) => ingress.Present(handler, certificate));
        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        return new TestReverseProxy(app, address);
    }

    /// <summary>A cookieless client of the proxy whose connections leave from <paramref name="source"/>, a loopback address such as 127.0.0.2.</summary>
    public HttpClient ClientFrom(IPAddress source, AuthenticationHeaderValue? authorization = null)
    {
        var client = new HttpClient(BallWebApp.HandlerFrom(source)) { BaseAddress = _address };
        client.DefaultRequestHeaders.Authorization = authorization;
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
