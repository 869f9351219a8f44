using System.Net;
using System.Text.Json;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Stats;

namespace BallOrleans.Tests.Web;

/// <summary><c>POST /forget</c> from the ball page, and an admin's <c>DELETE /api/visitors/{id}</c>, over HTTP against the app and PostgreSQL.</summary>
public sealed class ForgetEndpointTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly (string, string) SameOriginFetch = ("Sec-Fetch-Site", "same-origin");
    private static readonly (string, string) BrowserAccept = ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");

    [Fact]
    public async Task Forget_me_erases_the_visitor_expires_the_cookie_and_the_next_visit_is_a_new_visitor()
    {
        var database = await postgres.CreateDatabaseAsync("forget_page");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();
        var id = await VisitTwiceAsync(client);
        await VisitTwiceAsync(client);

        // As Chromium posts the form from our page (its Referrer-Policy: no-referrer makes the Origin "null").
        using var forget = await WhoIsCounted.GetAsync(client, "/forget", cookie: id, method: HttpMethod.Post,
            headers: [SameOriginFetch, ("Origin", "null"), BrowserAccept]);

        Assert.Equal(HttpStatusCode.OK, forget.StatusCode);
        Assert.Contains("id=\"forgotten\"", await forget.Content.ReadAsStringAsync());
        var expiry = Assert.Single(forget.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("ball_visitor=;", expiry);
        Assert.Contains("expires=Thu, 01 Jan 1970", expiry);
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), Pages.IdOf(id));
        await StatsBooks.AssertBalancedAsync(database);
        var left = await StoredVisitors.SumAsync(database);
        Assert.Equal((1L, 2L), (left.RedVisitors + left.BlueVisitors, left.RedViews + left.BlueViews));

        // A browser that kept the cookie anyway is a stranger now.
        using var again = await WhoIsCounted.GetAsync(client, "/", cookie: id);
        var newId = Pages.NewVisitorId(again);
        Assert.NotNull(newId);
        Assert.NotEqual(id, newId);
        Assert.Equal(1, Pages.ReadBall(await again.Content.ReadAsStringAsync()).Views);
    }

    [Fact]
    public async Task A_forget_not_sent_by_the_sites_own_page_is_refused_and_erases_nothing()
    {
        var database = await postgres.CreateDatabaseAsync("forget_refused");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();
        var id = await VisitTwiceAsync(client);
        var cases = new (string, string)[][]
        {
            [],
            [("Sec-Fetch-Site", "cross-site")],
            [("Sec-Fetch-Site", "same-site")],
            [("Sec-Fetch-Site", "none")],
            [("Origin", "https://elsewhere.example")],
            [("Origin", "null")],
            [("Origin", $"http://127.0.0.1:{app.Port + 1}")],
            [SameOriginFetch, ("Origin", "https://elsewhere.example")],
            [("Sec-Fetch-Site", "cross-site"), ("Origin", "null")],
        };

        foreach (var headers in cases)
        {
            using var response = await WhoIsCounted.GetAsync(client, "/forget", cookie: id, method: HttpMethod.Post, headers: headers);

            var described = string.Join(", ", headers.Select(h => $"{h.Item1}: {h.Item2}"));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{described}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False(response.Headers.Contains("Set-Cookie"), described);
        }

        var stored = await StoredVisitors.SumAsync(database);
        Assert.Equal(2, stored.RedViews + stored.BlueViews);
    }

    [Fact]
    public async Task A_forget_without_a_cookie_is_a_400_naming_it()
    {
        var database = await postgres.CreateDatabaseAsync("forget_nocookie");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();

        foreach (var cookie in new[] { null, "not-an-id" })
        {
            // Without Sec-Fetch-Site, an Origin of this host is enough.
            using var api = await WhoIsCounted.GetAsync(client, "/forget", cookie: cookie, method: HttpMethod.Post,
                headers: [("Origin", $"http://127.0.0.1:{app.Port}")]);
            Assert.Equal(HttpStatusCode.BadRequest, api.StatusCode);
            Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement;
            Assert.True(problem.GetProperty("errors").TryGetProperty("ball_visitor", out _));

            using var page = await WhoIsCounted.GetAsync(client, "/forget", cookie: cookie, method: HttpMethod.Post, headers: [SameOriginFetch, BrowserAccept]);
            Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("id=\"nothing-to-forget\"", await page.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task An_admin_erases_a_visitor_by_the_pseudonymous_id_of_the_listing()
    {
        var database = await postgres.CreateDatabaseAsync("forget_admin");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();
        var admin = WhoIsCounted.Admin(app);
        var id = await VisitTwiceAsync(client);
        await VisitTwiceAsync(client);
        var listed = JsonDocument.Parse(await admin.GetStringAsync("/api/visitors?sort=first")).RootElement.GetProperty("items");
        var pid = listed[0].GetProperty("id").GetString()!;

        using (var anonymous = await client.DeleteAsync($"/api/visitors/{pid}"))
        {
            Assert.True(anonymous.StatusCode is HttpStatusCode.Unauthorized, $"{anonymous.StatusCode}");
        }

        using (var deleted = await admin.DeleteAsync($"/api/visitors/{pid}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), Pages.IdOf(id));
        await StatsBooks.AssertBalancedAsync(database);
        var after = JsonDocument.Parse(await admin.GetStringAsync("/api/visitors")).RootElement.GetProperty("items");
        Assert.DoesNotContain(after.EnumerateArray(), v => v.GetProperty("id").GetString() == pid);
        using (var again = await admin.DeleteAsync($"/api/visitors/{pid}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
            Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        }

        foreach (var bad in new[] { "xyz", pid[..30], pid + "00", new string('g', 32) })
        {
            using var refused = await admin.DeleteAsync($"/api/visitors/{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.True(JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("id", out _), bad);
        }
    }

    // A new visitor who comes back once: their id, with two views stored.
    private static async Task<string> VisitTwiceAsync(HttpClient client)
    {
        string id;
        using (var first = await WhoIsCounted.GetAsync(client, "/"))
        {
            id = Pages.NewVisitorId(first)!;
            Assert.Contains("<form class=\"forget\" id=\"forget\" method=\"post\" action=\"/forget\">", await first.Content.ReadAsStringAsync());
        }

        using var second = await WhoIsCounted.GetAsync(client, "/", cookie: id);
        Assert.Equal(2, Pages.ReadBall(await second.Content.ReadAsStringAsync()).Views);
        return id;
    }
}
