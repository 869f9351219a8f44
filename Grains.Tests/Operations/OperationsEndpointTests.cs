using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BallOrleans.Tests.Deploy;
using BallOrleans.Tests.Infrastructure;
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

    private async Task<WebApplicationFactory<Program>> SiteAsync()
    {
        var database = await postgres.CreateDatabaseAsync("operations");
        return new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:Postgres", database)
            .UseSetting("Orleans:SiloPort", PostgresServer.FreePort().ToString())
            .UseSetting("Orleans:GatewayPort", PostgresServer.FreePort().ToString())
            .UseSetting("Stats:AdminPassword", Password));
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
        Assert.Matches(@"ball_visits_total\{[^}]*color=\"(red|blue)\"[^}]*\\} 1", metrics);
        Assert.Contains("ball_storage_write_duration_seconds_bucket", metrics);
        Assert.Contains("orleans_", metrics);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/dashboard/")).StatusCode);
        using var admin = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        admin.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}")));
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(admin)).StatusCode);
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
