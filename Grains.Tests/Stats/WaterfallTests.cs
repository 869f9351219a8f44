using System.Net;
using System.Text.Json;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Web;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// The exposure waterfall over HTTP against the real app and PostgreSQL: a scripted mix of
/// counted visits, HEAD, prefetch, bots, previews, an unknown id, the new-visitor limit and
/// erasures; each stage holds what the script did, counted on its own, and both residuals are 0.
/// </summary>
public sealed class WaterfallTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    [Trait(TestSpeed.Trait, TestSpeed.Slow)] // a scripted mix of visits and erasures on a whole site: 10-30 s
    public async Task Each_stage_counts_what_happened_and_both_residuals_are_zero()
    {
        var database = await postgres.CreateDatabaseAsync("waterfall_mix");
        // Loopback is limited too here: three new visitors, then one a second.
        await using var app = WhoIsCounted.StartApp(database,
            ("NewVisitors:ExemptLoopback", "false"), ("NewVisitors:Burst", "3"), ("NewVisitors:PerAddressPerSecond", "1"));
        var script = await WaterfallScript.RunAsync(app, database);

        var stats = await AdminStats.HoldingAsync(WhoIsCounted.Admin(app), database, script.RemainingVisitors, "/api/stats", script.RemainingViews);
        var waterfall = stats.GetProperty("waterfall");
        var allTime = Stages(waterfall.GetProperty("allTime"));
        var today = Stages(waterfall.GetProperty("days").EnumerateArray().Last());

        foreach (var stages in new[] { allTime, today })
        {
            AssertResidualsZero(stages);
        }

        // Counted where they happened, each on its own: balls rendered, views counted, assignments stored.
        Assert.Equal(script.Shown, Total(allTime, "shown", null));
        Assert.Equal(script.CountedViews, Total(allTime, "counted", null));
        Assert.Equal(3, Total(allTime, "notCounted", "headOrPrefetch"));
        Assert.Equal(2, Total(allTime, "notCounted", "bot"));
        Assert.Equal((1, 1), (Arm(allTime, "notCounted", "preview", "red"), Arm(allTime, "notCounted", "preview", "blue")));
        Assert.Equal(1, Total(allTime, "reassigned", "unknownId"));
        Assert.Equal(0, Total(allTime, "reassigned", "forgedId"));
        Assert.Equal(script.Limited, Total(allTime, "notCounted", "newVisitorLimit"));
        Assert.True(script.Limited >= 1, "the new-visitor limit turned someone away");
        Assert.Equal(1, TotalVisitors(allTime, "erased", "forget"));
        Assert.Equal(1, TotalVisitors(allTime, "erased", "admin"));
        Assert.Equal(script.CountedViews, Total(allTime, "assigned", null));
        Assert.Equal(script.MintedVisitors, TotalVisitors(allTime, "assigned", null));
        Assert.Equal(stats.GetProperty("views").GetInt64(), Total(allTime, "remaining", null));
        Assert.Equal(stats.GetProperty("visitors").GetInt64(), TotalVisitors(allTime, "remaining", null));
        // Everything happened today: each stage of today's slice is all time's (today has no
        // assigned counters of its own, so no stored residual).
        Assert.DoesNotContain("assigned", today.Keys);
        Assert.All(today, s => Assert.Equal(Figures(allTime[s.Key]), Figures(s.Value)));
        Assert.False(allTime["shown"].GetProperty("exact").GetBoolean());
        Assert.True(allTime["assigned"].GetProperty("exact").GetBoolean());
        Assert.True(allTime["remaining"].GetProperty("exact").GetBoolean());
        Assert.Equal(5, waterfall.GetProperty("flushIntervalSeconds").GetDouble());
    }

    /// <summary>
    /// Both residuals are 0 in every arm: shown - counted - not counted (in memory), and, where the
    /// slice has them (all time), assigned - erased - remaining in views and visitors (stored). The
    /// residuals are the server's, but the terms are checked against the script by the callers.
    /// </summary>
    internal static void AssertResidualsZero(Dictionary<string, JsonElement> stages)
    {
        foreach (var arm in new[] { "red", "blue" })
        {
            Assert.Equal(0, stages["residual:inMemory"].GetProperty(arm).GetProperty("requests").GetInt64());
            var notCounted = stages.Where(s => s.Key.StartsWith("notCounted:", StringComparison.Ordinal)).Sum(s => Requests(s.Value, arm));
            Assert.Equal(Requests(stages["shown"], arm), Requests(stages["counted"], arm) + notCounted);
            if (stages.TryGetValue("residual:stored", out var stored))
            {
                Assert.Equal(0, stored.GetProperty(arm).GetProperty("requests").GetInt64());
                Assert.Equal(0, stored.GetProperty(arm).GetProperty("visitors").GetInt64());
            }
        }
    }

    private static long Requests(JsonElement stage, string arm) => stage.GetProperty(arm).GetProperty("requests").GetInt64();

    private static string Figures(JsonElement stage) => $"{stage.GetProperty("red")} {stage.GetProperty("blue")}";

    internal static Dictionary<string, JsonElement> Stages(JsonElement slice) => slice.GetProperty("stages").EnumerateArray()
        .ToDictionary(s => s.GetProperty("reason").ValueKind == JsonValueKind.String
            ? $"{s.GetProperty("stage").GetString()}:{s.GetProperty("reason").GetString()}" : s.GetProperty("stage").GetString()!);

    private static long Arm(Dictionary<string, JsonElement> stages, string stage, string? reason, string arm) =>
        stages[reason is null ? stage : $"{stage}:{reason}"].GetProperty(arm).GetProperty("requests").GetInt64();

    internal static long Total(Dictionary<string, JsonElement> stages, string stage, string? reason) =>
        new[] { "red", "blue" }.Sum(arm => Arm(stages, stage, reason, arm));

    internal static long TotalVisitors(Dictionary<string, JsonElement> stages, string stage, string? reason) =>
        new[] { "red", "blue" }.Sum(arm => stages[reason is null ? stage : $"{stage}:{reason}"].GetProperty(arm).GetProperty("visitors").GetInt64());
}

/// <summary>
/// The scripted mix of requests the waterfall and browser tests share, and what it should leave:
/// <see cref="Shown"/> counts the answers with a ball (200), as the client saw them.
/// </summary>
internal sealed record WaterfallScript(long MintedVisitors, long CountedViews, long Limited, long RemainingVisitors, long RemainingViews, long Shown)
{
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    public static async Task<WaterfallScript> RunAsync(BallWebApp app, string database)
    {
        var client = app.CreateCookielessClient();
        var ids = new List<string>();
        long counted = 0, limited = 0, shown = 0;
        async Task<HttpResponseMessage> GetAsync(string path, string? userAgent = null, string? cookie = null, HttpMethod? method = null, params (string, string)[] headers)
        {
            var response = await WhoIsCounted.GetAsync(client, path, userAgent, cookie, method, headers);
            shown += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            return response;
        }

        // First, within the limit's burst: a cookie naming nobody stored is counted, as a new visitor.
        var reassigned = NewId(await GetAsync("/", cookie: VisitorId.NewId()));
        Assert.NotNull(reassigned);
        ids.Add(reassigned);
        counted++;

        // Newcomers: two more are stored, then the limit turns most away (one a second gets through).
        // Twelve, so that even at a request a second under load the burst of three runs out.
        for (var i = 0; i < 12; i++)
        {
            var response = await GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (NewId(response) is { } id)
            {
                ids.Add(id);
                counted++;
            }
            else
            {
                limited++;
            }
        }

        // Returning visits: two more views each for the first two.
        foreach (var id in ids.Take(2))
        {
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await GetAsync("/", cookie: id)).StatusCode);
                counted++;
            }
        }

        // Shown, not counted: HEAD twice, a prefetch, a bot twice, a preview of each ball.
        await GetAsync("/", method: HttpMethod.Head);
        await GetAsync("/", cookie: ids[0], method: HttpMethod.Head);
        await GetAsync("/", headers: ("Sec-Purpose", "prefetch"));
        await GetAsync("/", userAgent: Googlebot);
        await GetAsync("/", userAgent: Googlebot, cookie: ids[1]);
        await GetAsync("/?preview=red");
        await GetAsync("/?preview=blue");
        // A preview of no ball is refused, shows none and is in no bucket.
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("/?preview=green")).StatusCode);

        // Erasures: one visitor forgets themself (their first view and two returning ones), an admin
        // deletes another (one view).
        Assert.Equal(1, await ErasureLedgerTests.EraseAsync(database, [Pages.IdOf(ids[0])], "forget"));
        Assert.Equal(1, await ErasureLedgerTests.EraseAsync(database, [Pages.IdOf(ids[2])], "admin"));
        return new WaterfallScript(ids.Count, counted, limited, ids.Count - 2, counted - 3 - 1, shown);
    }

    private static string? NewId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).Where(c => c.StartsWith("ball_visitor=", StringComparison.Ordinal))
                .Select(c => c["ball_visitor=".Length..]).FirstOrDefault(v => v.Length > 0)
            : null;
}
