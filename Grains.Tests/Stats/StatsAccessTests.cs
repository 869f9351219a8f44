using System.Net;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Stats;

[Collection(PostgresCollection.Name)]
public sealed class StatsAccessTests(PostgresServer postgres)
{
    private static readonly string[] Guarded = ["/stats", "/stats/live", "/api/stats", "/api/visitors", "/api/visitors.csv"];

    [Fact]
    public async Task Stats_answer_401_with_a_basic_challenge_without_the_admin_password_and_200_with_it()
    {
        await using var app = new StatsWebApp(await postgres.CreateDatabaseAsync("access_password"), StatsWebApp.Password);
        var anonymous = app.CreateClient();
        var wrong = app.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = StatsWebApp.Basic("admin", "guess");
        var wrongUser = app.CreateClient();
        wrongUser.DefaultRequestHeaders.Authorization = StatsWebApp.Basic("root", StatsWebApp.Password);
        var admin = app.AdminClient();

        foreach (var path in Guarded)
        {
            foreach (var client in new[] { anonymous, wrong, wrongUser })
            {
                var refused = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                Assert.Equal("Basic", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
            }

            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
        }

        // The ball page itself stays public.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Without_a_password_only_loopback_clients_are_served()
    {
        var database = await postgres.CreateDatabaseAsync("access_loopback");
        await using (var remote = new StatsWebApp(database, password: null, IPAddress.Parse("10.1.2.3")))
        {
            var client = remote.CreateClient();
            foreach (var path in Guarded)
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(path)).StatusCode);
            }
        }

        await using var local = new StatsWebApp(database, password: null, IPAddress.IPv6Loopback);
        var localClient = local.CreateClient();
        foreach (var path in Guarded)
        {
            Assert.Equal(HttpStatusCode.OK, (await localClient.GetAsync(path)).StatusCode);
        }
    }

    [Fact]
    public async Task Bad_listing_parameters_are_400_with_the_reason()
    {
        await using var app = new StatsWebApp(await postgres.CreateDatabaseAsync("bad_params"), StatsWebApp.Password);
        var admin = app.AdminClient();
        (string Query, string Parameter)[] cases =
        [
            ("limit=-1", "limit"), ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=99999999999999", "limit"),
            ("limit=ten", "limit"), ("limit=1&limit=2", "limit"), ("sort=name", "sort"), ("color=green", "color"),
            ("after=AQMAAAZhFpOLik9oUxUi61RBcB4mQbZH5DX1DdI61cljLmrpNI6hzNsUNw", "after"), ("after=%3Cscript%3E", "after"),
        ];

        foreach (var (query, parameter) in cases)
        {
            foreach (var path in new[] { "/api/visitors", "/stats" })
            {
                var response = await admin.GetAsync($"{path}?{query}");
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains($"\"{parameter}\"", await response.Content.ReadAsStringAsync());
            }
        }

        var csv = await admin.GetAsync("/api/visitors.csv?color=purple");
        Assert.Equal(HttpStatusCode.BadRequest, csv.StatusCode);
    }
}
