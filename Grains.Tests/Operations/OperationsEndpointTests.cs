using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BallOrleans.Tests.Deploy;
using BallOrleans.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace BallOrleans.Tests.Operations;

/// <summary>The operator's endpoints on a real co-hosted site: health, metrics, the dashboard behind its credential.</summary>
[Collection(PostgresCollection.Name)]
public sealed class OperationsEndpointTests(PostgresServer postgres)
{
    private const string Password = "op-secret";

    private async Task<WebApplicationFactory<Program>> SiteAsync() => Site(await postgres.CreateDatabaseAsync("operations"));

    private static WebApplicationFactory<Program> Site(string database) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:Postgres", database)
            .UseSetting("Orleans:SiloPort", PostgresServer.FreePort().ToString())
            .UseSetting("Orleans:GatewayPort", PostgresServer.FreePort().ToString())
            .UseSetting("Stats:AdminPassword", Password)
            .UseSetting("NewVisitors:PerAddressPerSecond", "1")
            .UseSetting("NewVisitors:Burst", "2")
            // The test server has no client address; give every request one from outside.
            .ConfigureServices(s => s.AddSingleton<IStartupFilter, RemoteAddressFilter>()));

    [Fact]
    public async Task A_client_over_its_new_visitor_limit_sees_a_ball_but_nothing_is_stored()
    {
        var database = await postgres.CreateDatabaseAsync("limit");
        await using var site = Site(database);
        using var http = site.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await http.GetAsync("/"));
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(answers, a => Assert.Contains("data-color=", a.Content.ReadAsStringAsync().Result));
        Assert.Equal([true, true, false, false], answers.Select(a => a.Headers.Contains("Set-Cookie")));
        Assert.Equal(2, (await Cluster.ClusterProbe.StoredViewsAsync(database)).Count);
    }

    [Fact]
    public async Task Health_metrics_and_the_dashboard_answer_as_documented()
    {
        await using var site = await SiteAsync();
        using var http = site.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        var ready = await http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Matches("ball_visits_total\\{[^}]*color=\"(red|blue)\"[^}]*\\} 1", metrics);
        Assert.Contains("ball_storage_write_duration_seconds_bucket", metrics);
        Assert.Contains("orleans_", metrics);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/dashboard/")).StatusCode);
        using var admin = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        admin.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}")));
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(admin)).StatusCode);
    }

    private sealed class RemoteAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.9");
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    [Fact]
    public async Task Every_http_probe_in_the_manifests_is_a_mapped_endpoint()
    {
        await using var site = await SiteAsync();
        var routes = site.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>().Select(e => "/" + e.RoutePattern.RawText?.TrimStart('/')).ToHashSet();

        var probes = Manifests.OfKind("Deployment")
            .SelectMany(d => d.Get("spec").Get("template").Get("spec").List("containers"))
            .SelectMany(c => new[] { c.Find("readinessProbe"), c.Find("livenessProbe") })
            .Select(p => p?.Find("httpGet")?.Text("path"))
            .OfType<string>()
            .ToList();

        Assert.NotEmpty(probes);
        Assert.All(probes, path => Assert.Contains(path, routes));
    }
}
