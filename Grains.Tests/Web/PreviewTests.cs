using System.Net;
using System.Text.Json;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;

namespace BallOrleans.Tests.Web;

public sealed class PreviewTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_preview_shows_the_asked_ball_says_so_and_stores_and_sets_nothing()
    {
        var database = await postgres.CreateDatabaseAsync("preview");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();

        foreach (var color in new[] { "red", "blue", "red" })
        {
            using var response = await WhoIsCounted.GetAsync(client, $"/?preview={color}");
            var html = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"));
            Assert.Equal(color, Pages.ReadBall(html).Color);
            Assert.Contains("data-preview=\"true\"", html);
            Assert.Contains("This is a preview: nothing is counted", html);
        }

        Assert.Equal(new StoredVisitors.Sums(0, 0, 0, 0), await StoredVisitors.SumAsync(database));
    }

    [Fact]
    public async Task A_visitor_previewing_the_other_ball_keeps_their_own_and_their_count()
    {
        var database = await postgres.CreateDatabaseAsync("preview_visitor");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();
        string id;
        Pages.Ball first;
        using (var visit = await WhoIsCounted.GetAsync(client, "/"))
        {
            id = Pages.NewVisitorId(visit)!;
            first = Pages.ReadBall(await visit.Content.ReadAsStringAsync());
        }

        var other = first.Color == "red" ? "blue" : "red";
        using (var preview = await WhoIsCounted.GetAsync(client, $"/?preview={other}", cookie: id))
        {
            Assert.Equal(other, Pages.ReadBall(await preview.Content.ReadAsStringAsync()).Color);
            Assert.False(preview.Headers.Contains("Set-Cookie"));
        }

        using var again = await WhoIsCounted.GetAsync(client, "/", cookie: id);
        var ball = Pages.ReadBall(await again.Content.ReadAsStringAsync());
        Assert.Equal(first.Color, ball.Color);
        Assert.Equal(2, ball.Views);
        var stored = await StoredVisitors.SumAsync(database);
        Assert.Equal(1, stored.RedVisitors + stored.BlueVisitors);
        Assert.Equal(2, stored.RedViews + stored.BlueViews);
    }

    [Fact]
    public async Task An_unknown_preview_is_a_400_naming_the_parameter()
    {
        var database = await postgres.CreateDatabaseAsync("preview_bad");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();

        foreach (var path in new[] { "/?preview=green", "/?preview=", "/?preview=RED", "/?preview=red&preview=blue" })
        {
            using var response = await WhoIsCounted.GetAsync(client, path);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.False(response.Headers.Contains("Set-Cookie"));
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(problem.GetProperty("errors").TryGetProperty("preview", out _), path);
        }

        Assert.Equal(new StoredVisitors.Sums(0, 0, 0, 0), await StoredVisitors.SumAsync(database));
    }

    [Fact]
    public async Task With_previews_turned_off_the_parameter_is_ignored()
    {
        var database = await postgres.CreateDatabaseAsync("preview_off");
        await using var app = WhoIsCounted.StartApp(database, ("Ball:Preview", "false"));
        var client = app.CreateCookielessClient();

        using var known = await WhoIsCounted.GetAsync(client, "/?preview=blue");
        using var unknown = await WhoIsCounted.GetAsync(client, "/?preview=green");

        foreach (var response in new[] { known, unknown })
        {
            var html = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotNull(Pages.NewVisitorId(response)); // an ordinary first visit
            Assert.Equal(1, Pages.ReadBall(html).Views);
            Assert.DoesNotContain("preview", html, StringComparison.OrdinalIgnoreCase);
        }

        var stored = await StoredVisitors.SumAsync(database);
        Assert.Equal(2, stored.RedVisitors + stored.BlueVisitors);
    }
}
