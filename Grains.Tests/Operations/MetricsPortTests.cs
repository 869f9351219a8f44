using System.Net;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Operations;

/// <summary>
/// With <c>Metrics:Port</c> set, the web tier serves <c>/metrics</c> there, to Prometheus without a
/// password (the network policy is its guard), and no longer on the site's own port.
/// </summary>
public sealed class MetricsPortTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Metrics_are_served_on_their_own_port_without_a_credential_and_not_on_the_sites_port()
    {
        var port = PostgresServer.FreePort();
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("metrics_port"),
            settings: new Dictionary<string, string?> { ["Metrics:Port"] = port.ToString() });
        using var admin = site.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/")).StatusCode);

        using var prometheus = new HttpClient();
        using var scraped = await prometheus.GetAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("orleans_catalog_activations", await scraped.Content.ReadAsStringAsync());
        // The metrics port answers nothing else: not the ball page, not an admin page.
        Assert.Equal(HttpStatusCode.NotFound, (await prometheus.GetAsync($"http://127.0.0.1:{port}/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await prometheus.GetAsync($"http://127.0.0.1:{port}/api/stats")).StatusCode);

        // Not on the public port, not even with the admin password.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/metrics")).StatusCode);
    }
}
