using System.Net;
using System.Text.Json;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Web;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// The exposure waterfall over HTTP against the real app and PostgreSQL: a scripted mix of
/// counted visits, HEAD, prefetch, bots, previews, an unknown id, the new-visitor limit and
/// erasures, and every stage equals the one before it minus what it removes.
/// </summary>
public sealed class WaterfallTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_waterfall_adds_up_and_counts_each_reason_where_it_happened()
    {
        var database = await postgres.CreateDatabaseAsync("waterfall_mix");
        // Loopback is limited too here: three new visitors, then one a second.
        await using var app = WhoIsCounted.StartApp(database,
            ("NewVisitors:ExemptLoopback", "false"), ("NewVisitors:Burst", "3"), ("NewVisitors:PerAddressPerSecond", "1"));
        var script = await WaterfallScript.RunAsync(app, database);

        var stats = await AdminStats.HoldingAsync(WhoIsCounted.Admin(app), script.RemainingVisitors, "/api/stats", script.RemainingViews);
        var waterfall = stats.GetProperty("waterfall");
        var allTime = Stages(waterfall.GetProperty("allTime"));
        var today = Stages(waterfall.GetProperty("days").EnumerateArray().Last());

        foreach (var stages in new[] { allTime, today })
        {
            AssertAddsUp(stages);
        }

        Assert.Equal(3, Total(allTime, "notCounted", "headOrPrefetch"));
        Assert.Equal(2, Total(allTime, "notCounted", "bot"));
        Assert.Equal((1, 1), (Arm(allTime, "notCounted", "preview", "red"), Arm(allTime, "notCounted", "preview", "blue")));
        Assert.Equal(1, Total(allTime, "reassigned", "unknownId"));
        Assert.Equal(script.Limited, Total(allTime, "notCounted", "newVisitorLimit"));
        Assert.True(script.Limited >= 1, "the new-visitor limit turned someone away");
        Assert.Equal(1, TotalVisitors(allTime, "erased", "forget"));
        Assert.Equal(1, TotalVisitors(allTime, "erased", "admin"));
        Assert.Equal(script.CountedViews, Total(allTime, "counted", null));
        Assert.Equal(script.MintedVisitors, TotalVisitors(allTime, "counted", null));
        Assert.Equal(stats.GetProperty("views").GetInt64(), Total(allTime, "remaining", null));
        Assert.Equal(stats.GetProperty("visitors").GetInt64(), TotalVisitors(allTime, "remaining", null));
        // Everything happened today: today's slice is all time's.
        Assert.Equal(Figures(allTime), Figures(today));
        Assert.False(allTime["shown"].GetProperty("exact").GetBoolean());
        Assert.True(allTime["remaining"].GetProperty("exact").GetBoolean());
        Assert.Equal(5, waterfall.GetProperty("flushIntervalSeconds").GetDouble());
    }

    /// <summary>Each stage equals the one before it minus what it removes, per arm, in requests and visitors.</summary>
    internal static void AssertAddsUp(Dictionary<string, JsonElement> stages)
    {
        foreach (var arm in new[] { "red", "blue", "none" })
        {
            long R(string key) => stages[key].GetProperty(arm).GetProperty("requests").GetInt64();
            long V(string key) => stages[key].GetProperty(arm).GetProperty("visitors") is { ValueKind: JsonValueKind.Number } v ? v.GetInt64() : 0;
            var notCounted = stages.Keys.Where(k => k.StartsWith("notCounted:", StringComparison.Ordinal)).Sum(R);
            var erased = stages.Keys.Where(k => k.StartsWith("erased:", StringComparison.Ordinal)).ToList();
            Assert.Equal(R("shown") - notCounted, R("counted"));
            Assert.Equal(R("counted") - erased.Sum(R), R("remaining"));
            Assert.Equal(V("counted") - erased.Sum(V), V("remaining"));
        }
    }

    private static List<string> Figures(Dictionary<string, JsonElement> stages) =>
        [.. stages.Select(s => $"{s.Key} {s.Value.GetProperty("red")} {s.Value.GetProperty("blue")} {s.Value.GetProperty("none")}")];

    internal static Dictionary<string, JsonElement> Stages(JsonElement slice) => slice.GetProperty("stages").EnumerateArray()
        .ToDictionary(s => s.GetProperty("reason").ValueKind == JsonValueKind.String
            ? $"{s.GetProperty("stage").GetString()}:{s.GetProperty("reason").GetString()}" : s.GetProperty("stage").GetString()!);

    private static long Arm(Dictionary<string, JsonElement> stages, string stage, string? reason, string arm) =>
        stages[reason is null ? stage : $"{stage}:{reason}"].GetProperty(arm).GetProperty("requests").GetInt64();

    private static long Total(Dictionary<string, JsonElement> stages, string stage, string? reason) =>
        new[] { "red", "blue", "none" }.Sum(arm => Arm(stages, stage, reason, arm));

    private static long TotalVisitors(Dictionary<string, JsonElement> stages, string stage, string? reason) =>
        new[] { "red", "blue" }.Sum(arm => stages[reason is null ? stage : $"{stage}:{reason}"].GetProperty(arm).GetProperty("visitors").GetInt64());
}

/// <summary>The scripted mix of requests the waterfall and browser tests share, and what it should leave.</summary>
internal sealed record WaterfallScript(long MintedVisitors, long CountedViews, long Limited, long RemainingVisitors, long RemainingViews)
{
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    public static async Task<WaterfallScript> RunAsync(BallWebApp app, string database)
    {
        var client = app.CreateCookielessClient();
        var ids = new List<string>();
        long counted = 0, limited = 0;

        // First, within the limit's burst: a cookie naming nobody stored is counted, as a new visitor.
        var reassigned = NewId(await WhoIsCounted.GetAsync(client, "/", cookie: VisitorId.NewId()));
        Assert.NotNull(reassigned);
        ids.Add(reassigned);
        counted++;

        // Newcomers: two more are stored, then the limit turns most away (one a second gets through).
        // Twelve, so that even at a request a second under load the burst of three runs out.
        for (var i = 0; i < 12; i++)
        {
            var response = await WhoIsCounted.GetAsync(client, "/");
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
                Assert.Equal(HttpStatusCode.OK, (await WhoIsCounted.GetAsync(client, "/", cookie: id)).StatusCode);
                counted++;
            }
        }

        // Shown, not counted: HEAD twice, a prefetch, a bot twice, a preview of each ball.
        await WhoIsCounted.GetAsync(client, "/", method: HttpMethod.Head);
        await WhoIsCounted.GetAsync(client, "/", cookie: ids[0], method: HttpMethod.Head);
        await WhoIsCounted.GetAsync(client, "/", headers: ("Sec-Purpose", "prefetch"));
        await WhoIsCounted.GetAsync(client, "/", userAgent: Googlebot);
        await WhoIsCounted.GetAsync(client, "/", userAgent: Googlebot, cookie: ids[1]);
        await WhoIsCounted.GetAsync(client, "/?preview=red");
        await WhoIsCounted.GetAsync(client, "/?preview=blue");

        // Erasures: one visitor forgets themself (their first view and two returning ones), an admin
        // deletes another (one view).
        Assert.Equal(1, await ErasureLedgerTests.EraseAsync(database, [Pages.IdOf(ids[0])], "forget"));
        Assert.Equal(1, await ErasureLedgerTests.EraseAsync(database, [Pages.IdOf(ids[2])], "admin"));
        return new WaterfallScript(ids.Count, counted, limited, ids.Count - 2, counted - 3 - 1);
    }

    private static string? NewId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).Where(c => c.StartsWith("ball_visitor=", StringComparison.Ordinal))
                .Select(c => c["ball_visitor=".Length..]).FirstOrDefault(v => v.Length > 0)
            : null;
}
