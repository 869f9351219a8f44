using System.Net;
using BallOrleans.Tests.Deploy;
using BallOrleans.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace BallOrleans.Tests.Operations;

/// <summary>The operator's endpoints on a real co-hosted site: health, metrics and the dashboard (behind the admin credential).</summary>
// Alone: the metrics read here come from process-wide meters, which other classes' visits would move.
[Collection(RunsAlone.Name)]
public sealed class OperationsEndpointTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private async Task<BallWebApp> SiteAsync() => new(await postgres.CreateDatabaseAsync("operations"));

    [Fact]
    public async Task A_client_over_its_new_visitor_limit_sees_a_ball_but_nothing_is_stored()
    {
        var database = await postgres.CreateDatabaseAsync("limit");
        var settings = new Dictionary<string, string?>
        {
            ["NewVisitors:PerAddressPerSecond"] = "1",
            ["NewVisitors:Burst"] = "2",
            // The test's client is on loopback, which is exempt by default.
            ["NewVisitors:ExemptLoopback"] = "false",
        };
        await using var site = new BallWebApp(database, settings: settings);
        using var http = site.CreateCookielessClient();

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await http.GetAsync("/"));
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(answers, a => Assert.Contains("data-color=", a.Content.ReadAsStringAsync().Result));
        Assert.Equal([true, true, false, false], answers.Select(a => a.Headers.Contains("Set-Cookie")));
        Assert.Equal(2, await StoredVisitorsAsync(database));
    }

    [Fact]
    public async Task Health_metrics_and_the_dashboard_answer_as_documented()
    {
        await using var site = await SiteAsync();
        using var http = site.CreateCookielessClient();
        using var admin = site.ClientFrom(IPAddress.Loopback, BallWebApp.Basic("admin", BallWebApp.Password));

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        var ready = await http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics")).StatusCode);
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Matches("ball_visits_total\\{[^}]*color=\"(red|blue)\"[^}]*\\} 1", metrics);
        Assert.Contains("ball_storage_write_duration_seconds_bucket", metrics);
        Assert.Contains("orleans_catalog_activations", metrics);
        // Dropped: their callbacks walk every activation (BallMetrics.DroppedOrleansInstruments).
        Assert.DoesNotContain("orleans_directory_cache_size", metrics);
        Assert.DoesNotContain("orleans_messaging_processing_activation_data", metrics);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/dashboard/")).StatusCode);
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

    private static async Task<long> StoredVisitorsAsync(string database)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM ball_grain_state WHERE state_name = 'visitor'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
