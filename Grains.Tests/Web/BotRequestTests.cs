using System.Net;
using System.Text.Json;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;

namespace BallOrleans.Tests.Web;

public sealed class BotRequestTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    private const string Bingbot = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36";
    private const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

    [Fact]
    public async Task Bots_see_the_ball_uncounted_and_the_stats_show_them_by_family()
    {
        var database = await postgres.CreateDatabaseAsync("bot_requests");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();

        foreach (var ua in new[] { Googlebot, Googlebot, Googlebot, Bingbot, Bingbot, "python-requests/2.31.0" })
        {
            using var response = await WhoIsCounted.GetAsync(client, "/", ua);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Null(Pages.NewVisitorId(response));
            Assert.Equal(0, Pages.ReadBall(await response.Content.ReadAsStringAsync()).Views);
        }

        using (var person = await WhoIsCounted.GetAsync(client, "/", Firefox))
        {
            Assert.NotNull(Pages.NewVisitorId(person));
        }

        using (var head = await WhoIsCounted.GetAsync(client, "/", Googlebot, method: HttpMethod.Head))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode); // not counted anyway: not tallied either
        }

        var stored = await StoredVisitors.SumAsync(database);
        Assert.Equal(1, stored.RedVisitors + stored.BlueVisitors);
        Assert.Equal(1, stored.RedViews + stored.BlueViews);

        var admin = WhoIsCounted.Admin(app);
        var bots = JsonDocument.Parse(await admin.GetStringAsync("/api/stats")).RootElement.GetProperty("bots");
        Assert.Equal(6, bots.GetProperty("total").GetInt64());
        var top = bots.GetProperty("top").EnumerateArray().Select(f => (f.GetProperty("family").GetString(), f.GetProperty("requests").GetInt64())).ToList();
        Assert.Equal([("Googlebot", 3L), ("bingbot", 2L), ("python-requests", 1L)], top);

        var page = await admin.GetStringAsync("/stats");
        Assert.Contains("data-total=\"6\"", page);
        Assert.Contains("<td>Googlebot</td><td data-requests=\"3\">", page);
    }
}
