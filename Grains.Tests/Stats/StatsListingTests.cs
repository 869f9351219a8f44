using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Web;
using BallOrleans.Web.Stats;
using Microsoft.Extensions.DependencyInjection;
using BallOrleans.Tests.Visitors;

namespace BallOrleans.Tests.Stats;

public sealed class StatsListingTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Visitors_appear_only_under_their_keyed_hash_never_their_cookie()
    {
        var database = await postgres.CreateDatabaseAsync("pseudonyms");
        await using var app = new BallWebApp(database);
        var cookies = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var browser = app.CreateClient();
            var first = await browser.GetAsync("/");
            var cookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("ball_visitor=", StringComparison.Ordinal));
            cookies.Add(Pages.IdOf(cookie["ball_visitor=".Length..cookie.IndexOf(';')]));
            await browser.GetAsync("/");
        }

        var admin = app.AdminClient();
        await WaitForVisitorsAsync(admin, 12);
        var outputs = new[]
        {
            await admin.GetStringAsync("/api/visitors?limit=100"),
            await admin.GetStringAsync("/api/visitors.csv"),
            await admin.GetStringAsync("/stats"),
            await admin.GetStringAsync("/stats/live?sort=first"),
            await admin.GetStringAsync("/api/stats"),
        };

        foreach (var id in cookies)
        {
            Assert.All(outputs, output => Assert.DoesNotContain(id, output, StringComparison.OrdinalIgnoreCase));
        }

        // The ids shown are HMAC-SHA256 of the cookie under the database's key, so they can be
        // linked to a visitor only by whoever holds that key.
        var key = (byte[])(await StoredVisitors.QueryAsync(database, "SELECT key FROM ball_stats_key"))!;
        var shown = JsonDocument.Parse(outputs[0]).RootElement.GetProperty("items").EnumerateArray()
            .Select(item => item.GetProperty("id").GetString()).ToHashSet();
        var expected = cookies.Select(id => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(id))[..16]));
        Assert.Equal(expected.Order(), shown.Order());
    }

    [Fact]
    public async Task Cursor_paging_by_first_seen_has_no_overlap_or_gap_while_visitors_arrive()
    {
        var database = await postgres.CreateDatabaseAsync("paging");
        await using var app = new BallWebApp(database);
        var admin = app.AdminClient();
        await SeedAsync(app, 1500);
        var before = (await StoredVisitors.ScalarTextAsync(database, "SELECT string_agg(encode(pid, 'hex'), ',') FROM ball_visitor_stats"))!.Split(',');

        // New visitors keep arriving through the real grains while the pages are read.
        using var stop = new CancellationTokenSource();
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var arrivals = Task.Run(async () =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                await grains.FirstVisitAsync(VisitorId.NewId(), Guid.NewGuid());
                count++;
            }

            return count;
        });

        var seen = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var url = "/api/visitors?sort=first&limit=97" + (next is null ? "" : "&after=" + Uri.EscapeDataString(next));
            var page = await admin.GetFromJsonAsync<JsonElement>(url);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
            next = page.GetProperty("next").GetString();
            pages++;
            await Task.Delay(5);
        }
        while (next is not null && pages < 1000);

        await stop.CancelAsync();
        Assert.True(await arrivals > 0);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Empty(before.Except(seen));
        Assert.True(pages > 15);

        // A cursor is bound to its listing: the same cursor with another sort is refused.
        var firstPage = await admin.GetFromJsonAsync<JsonElement>("/api/visitors?sort=first&limit=10");
        var cursor = Uri.EscapeDataString(firstPage.GetProperty("next").GetString()!);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await admin.GetAsync($"/api/visitors?sort=views&limit=10&after={cursor}")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await admin.GetAsync($"/api/visitors?sort=first&limit=10&after={cursor}")).StatusCode);
    }

    [Fact]
    public async Task Listing_filters_by_color_and_sorts_by_views_both_ways()
    {
        var database = await postgres.CreateDatabaseAsync("sorting");
        await using var app = new BallWebApp(database);
        var admin = app.AdminClient();
        await SeedAsync(app, 300);

        foreach (var sort in new[] { "views", "-views", "last", "-first" })
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/visitors?sort={sort}&color=blue&limit=1000");
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.NotEmpty(items);
            Assert.All(items, i => Assert.Equal("blue", i.GetProperty("color").GetString()));
            Assert.Equal(items.Count, await StoredVisitors.ScalarAsync(database, "SELECT count(*) FROM ball_visitor_stats WHERE color = 'blue'"));
            var keys = items.Select(i => sort.TrimStart('-') switch
            {
                "views" => (IComparable)i.GetProperty("views").GetInt64(),
                "last" => i.GetProperty("lastSeen").GetDateTimeOffset(),
                _ => i.GetProperty("firstSeen").GetDateTimeOffset(),
            }).ToList();
            var ordered = sort.StartsWith('-') ? keys.OrderDescending().ToList() : keys.Order().ToList();
            Assert.Equal(ordered, keys);
        }
    }

    [Fact]
    public async Task Storage_trouble_is_a_503_with_retry_after_never_a_500()
    {
        var database = await postgres.CreateDatabaseAsync("trouble");
        await using var app = new BallWebApp(database);
        var admin = app.AdminClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await admin.GetAsync("/api/visitors")).StatusCode);

        // As the owner: the runtime role can change no table, which is the point of it.
        await StoredVisitors.QueryAsync(postgres.AsOwner(database), "ALTER TABLE ball_visitor_stats RENAME TO ball_visitor_stats_away");

        foreach (var path in new[] { "/api/visitors", "/api/visitors.csv", "/stats", "/stats/live" })
        {
            var response = await admin.GetAsync(path);
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        }
    }

    [Fact]
    public async Task Bad_listing_parameters_are_400_with_the_reason()
    {
        await using var app = new BallWebApp(await postgres.CreateDatabaseAsync("bad_params"));
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

    internal static async Task SeedAsync(BallWebApp app, int visitors)
    {
        var seeder = ActivatorUtilities.CreateInstance<VisitorSeeder>(app.Services);
        await seeder.SeedAsync(TestServiceId(app), visitors, seed: visitors);
    }

    private static string TestServiceId(BallWebApp app) =>
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Orleans.Configuration.ClusterOptions>>().Value.ServiceId;

    internal static async Task WaitForVisitorsAsync(HttpClient admin, long visitors)
    {
        for (var i = 0; i < 100; i++)
        {
            var stats = await admin.GetFromJsonAsync<JsonElement>("/api/stats");
            if (stats.GetProperty("visitors").GetInt64() >= visitors)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the report never reached {visitors} visitors");
    }
}
