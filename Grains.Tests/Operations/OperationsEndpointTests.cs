using System.Net;
using System.Text.Json;
using BallOrleans.Tests.Deploy;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using BallOrleans.Tests.Web;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace BallOrleans.Tests.Operations;

/// <summary>
/// The operator's endpoints on a real co-hosted site: health, metrics and the dashboard (behind the
/// admin credential); and the visit limits as a visitor meets them (ball shown, nothing stored).
/// </summary>
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
    public async Task Over_the_global_new_visitor_limit_every_address_sees_a_ball_but_nothing_is_stored()
    {
        var database = await postgres.CreateDatabaseAsync("global_limit");
        var settings = new Dictionary<string, string?>
        {
            // Two at once, then one a second, for the whole site; each address stays far within its own limit.
            ["NewVisitors:GlobalPerSecond"] = "1",
            ["NewVisitors:GlobalBurst"] = "2",
        };
        await using var site = new BallWebApp(database, settings: settings);
        // Twelve newcomers from twelve addresses at once (loopback ones: exempt per address, not globally).
        var clients = Enumerable.Range(10, 12).Select(i => site.ClientFrom(IPAddress.Parse($"127.0.0.{i}"))).ToList();

        var started = DateTime.UtcNow;
        var answers = await Task.WhenAll(clients.Select(c => c.GetAsync("/")));
        var seconds = (DateTime.UtcNow - started).TotalSeconds;

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(answers, a => Assert.Contains("data-color=", a.Content.ReadAsStringAsync().Result));
        var minted = answers.Count(a => a.Headers.Contains("Set-Cookie"));
        Assert.InRange(minted, 2, 2 + (int)Math.Ceiling(seconds));
        Assert.True(minted < answers.Length, $"nobody was turned away ({seconds:0.0} s for the twelve)");
        Assert.Equal(minted, await StoredVisitorsAsync(database));
        Assert.Equal(answers.Length - minted, await NotCountedAsync(site, "globalNewVisitorLimit", answers.Length - minted));
    }

    [Fact]
    public async Task A_cookie_over_its_visit_rate_sees_its_ball_but_the_visit_is_not_stored()
    {
        var database = await postgres.CreateDatabaseAsync("cookie_limit");
        var settings = new Dictionary<string, string?>
        {
            // Three visits at once, then one a minute: none more within this test.
            ["Visits:PerCookiePerMinute"] = "1",
            ["Visits:PerCookieBurst"] = "3",
        };
        await using var site = new BallWebApp(database, settings: settings);
        using var http = site.CreateCookielessClient();
        using var first = await http.GetAsync("/");
        var cookie = Pages.NewVisitorId(first) ?? throw new InvalidOperationException("no cookie on a first visit");

        var shown = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await WhoIsCounted.GetAsync(http, "/", cookie: cookie);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(Pages.NewVisitorId(response));
            shown.Add(Pages.ReadBall(await response.Content.ReadAsStringAsync()).Views);
        }

        // The first visit (no cookie yet) and three with it are counted; the rest show the ball as it stands.
        Assert.Equal([2L, 3L, 4L, 4L, 4L, 4L], shown);
        Assert.Equal(4, await StoredVisitors.ScalarAsync(database,
            $"SELECT red_views + blue_views FROM ball_grain_state WHERE state_name = 'visitor' AND grain_key = '{Pages.IdOf(cookie)}'"));
        Assert.Equal(3, await NotCountedAsync(site, "cookieVisitLimit", 3));
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

    /// <summary>
    /// The requests of all time the waterfall counts under <c>notCounted</c> <paramref name="reason"/>,
    /// once they reach <paramref name="expected"/> (the web tier pushes its counts every few seconds), or after 20 s.
    /// </summary>
    private static async Task<long> NotCountedAsync(BallWebApp site, string reason, long expected)
    {
        using var admin = WhoIsCounted.Admin(site);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var stats = JsonDocument.Parse(await admin.GetStringAsync("/api/stats")).RootElement;
            var stage = WaterfallTests.Stages(stats.GetProperty("waterfall").GetProperty("allTime"))[$"notCounted:{reason}"];
            var total = new[] { "red", "blue" }.Sum(arm => stage.GetProperty(arm).GetProperty("requests").GetInt64());
            if (total == expected || DateTime.UtcNow > deadline)
            {
                return total;
            }

            await Task.Delay(200);
        }
    }

    private static async Task<long> StoredVisitorsAsync(string database)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM ball_grain_state WHERE state_name = 'visitor'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
