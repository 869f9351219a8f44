using System.Net;
using System.Text.Json;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Web;

namespace BallOrleans.Tests.Stats;

/// <summary><c>/api/stats</c> and <c>/stats</c> over a range of days: the daily series, the running count and the segments, and bad ranges.</summary>
public sealed class StatsRangeTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    private static readonly DateTimeOffset D = new(2025, 1, 10, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_range_gives_each_days_new_visitors_and_views_the_running_count_and_the_segments_of_its_visitors()
    {
        var database = await postgres.CreateDatabaseAsync("range_api");
        await using var app = WhoIsCounted.StartApp(database);
        var admin = WhoIsCounted.Admin(app);
        // a: red, Firefox, first seen on D and back the next day (returning); b: blue, Chrome, twice
        // within minutes on D+1 (new); c: blue, Safari, once on D+2; d: red, first seen the day
        // before the range and back on its last day.
        await StatsBooks.WriteAsync(database, VisitorId.NewId(), StatsBooks.State(BallColor.Red, 1, At(-1, 9), At(-1, 9)));
        var a = VisitorId.NewId();
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 1, At(0, 10), At(0, 10), BrowserFamily.Firefox));
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 2, At(0, 10), At(1, 9), BrowserFamily.Firefox));
        var b = VisitorId.NewId();
        await StatsBooks.WriteAsync(database, b, StatsBooks.State(BallColor.Blue, 1, At(1, 12), At(1, 12)));
        await StatsBooks.WriteAsync(database, b, StatsBooks.State(BallColor.Blue, 2, At(1, 12), At(1, 12, 5)));
        await StatsBooks.WriteAsync(database, VisitorId.NewId(), StatsBooks.State(BallColor.Blue, 1, At(2, 8), At(2, 8), BrowserFamily.Safari));
        var d = VisitorId.NewId();
        await StatsBooks.WriteAsync(database, d, StatsBooks.State(BallColor.Red, 1, At(-1, 20), At(-1, 20), browser: null));
        await StatsBooks.WriteAsync(database, d, StatsBooks.State(BallColor.Red, 2, At(-1, 20), At(2, 20), browser: null));

        var stats = await AdminStats.HoldingAsync(admin, database, visitors: 5, "/api/stats?from=2025-01-10&to=2025-01-12");

        Assert.Equal("2025-01-10", stats.GetProperty("range").GetProperty("from").GetString());
        Assert.Equal(
            ["2025-01-10 red 1/1 blue 0/0", "2025-01-11 red 0/1 blue 1/2", "2025-01-12 red 0/1 blue 1/1"],
            stats.GetProperty("daily").EnumerateArray().Select(Day).ToList());
        Assert.Equal(
            ["2025-01-10 3/0", "2025-01-11 3/1", "2025-01-12 3/2"],
            stats.GetProperty("cumulative").EnumerateArray().Select(c => $"{c.GetProperty("day").GetString()} {c.GetProperty("red").GetInt64()}/{c.GetProperty("blue").GetInt64()}").ToList());
        var range = stats.GetProperty("range");
        Assert.Equal("1/2 2/3", $"{Of(range, "red")} {Of(range, "blue")}");
        Assert.True(range.GetProperty("srm").TryGetProperty("pValue", out _));
        var segments = stats.GetProperty("segments").EnumerateArray()
            .ToDictionary(s => $"{s.GetProperty("dimension").GetString()}:{s.GetProperty("segment").GetString()}", s => $"{Of(s, "red")} {Of(s, "blue")}");
        Assert.Equal(new Dictionary<string, string>
        {
            ["browser:firefox"] = "1/2 0/0",
            ["browser:chrome"] = "0/0 1/2",
            ["browser:safari"] = "0/0 1/1",
            ["visitor:new"] = "0/0 2/3",
            ["visitor:returning"] = "1/2 0/0",
        }, segments);
        Assert.All(stats.GetProperty("segments").EnumerateArray(), s => Assert.False(s.GetProperty("srm").GetProperty("flagged").GetBoolean()));

        // All-time totals stay first in the body, and count everyone.
        Assert.Equal(5, stats.GetProperty("visitors").GetInt64());
    }

    [Fact]
    public async Task The_default_range_is_the_last_30_days_and_new_visitors_are_segmented_by_their_browser()
    {
        var database = await postgres.CreateDatabaseAsync("range_default");
        await using var app = WhoIsCounted.StartApp(database);
        var client = app.CreateCookielessClient();
        foreach (var agent in new[] { Firefox, Firefox, Chrome })
        {
            using var visit = await WhoIsCounted.GetAsync(client, "/", userAgent: agent);
            Assert.NotNull(Pages.NewVisitorId(visit));
        }

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await StoredVisitors.FoldAsync(database);  // the days are read at every request (no range cache here): folded, they hold the visits
        var stats = JsonDocument.Parse(await WhoIsCounted.Admin(app).GetStringAsync("/api/stats")).RootElement;

        var daily = stats.GetProperty("daily").EnumerateArray().ToList();
        Assert.Equal(30, daily.Count);
        var last = DateOnly.Parse(daily[^1].GetProperty("day").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(last.DayNumber - today.DayNumber, 0, 1);
        Assert.Equal(3, stats.GetProperty("cumulative").EnumerateArray().Last().EnumerateObject().Where(p => p.Name != "day").Sum(p => p.Value.GetInt64()));
        var browsers = stats.GetProperty("segments").EnumerateArray()
            .Where(s => s.GetProperty("dimension").GetString() == "browser")
            .ToDictionary(s => s.GetProperty("segment").GetString()!, s => s.GetProperty("red").GetProperty("visitors").GetInt64() + s.GetProperty("blue").GetProperty("visitors").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["firefox"] = 2, ["chrome"] = 1 }, browsers);

        var page = await WhoIsCounted.Admin(app).GetStringAsync("/stats");
        Assert.Contains("<form class=\"range-picker\" id=\"range-picker\" method=\"get\" action=\"/stats\">", page);
        Assert.Contains("<svg class=\"chart daily\" id=\"daily-visitors\"", page);
        Assert.Contains("<svg class=\"chart daily\" id=\"daily-views\"", page);
        Assert.Contains("data-segment=\"firefox\"", page);
        Assert.Contains("<strong>last 30 days</strong>", page);
    }

    [Fact]
    public async Task A_malformed_reversed_or_too_long_range_is_a_400_naming_the_parameter_and_never_a_500()
    {
        var database = await postgres.CreateDatabaseAsync("range_bad");
        await using var app = WhoIsCounted.StartApp(database);
        var admin = WhoIsCounted.Admin(app);
        var cases = new (string Query, string[] Named)[]
        {
            ("from=2025-13-01", ["from"]),
            ("to=2025/01/01", ["to"]),
            ("from=yesterday", ["from"]),
            ("from=2025-01-10&to=2025-01-09", ["from", "to"]),
            ("from=2024-01-01&to=2025-02-05", ["from", "to"]),
            ("from=2025-01-01&from=2025-01-02", ["from"]),
            ("to=0001-01-01", ["to"]),
            ("from=9999-12-31&to=9999-12-31", ["from", "to"]),
            ("from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%95-01-01", ["from"]),
            ("to=2025-01-01T00:00:00Z", ["to"]),
            ($"from={new string('9', 5000)}", ["from"]),
        };

        foreach (var path in new[] { "/api/stats", "/stats", "/stats/live" })
        {
            foreach (var (query, named) in cases)
            {
                using var response = await admin.GetAsync($"{path}?{query}");
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}?{query[..Math.Min(60, query.Length)]}: {response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
                Assert.All(named, name => Assert.True(errors.TryGetProperty(name, out _), $"{path}?{query}: {name} not named"));
            }
        }

        // The limits themselves are fine: exactly 400 days apart, one day, an empty field of the form.
        foreach (var query in new[] { "from=2024-01-01&to=2025-02-04", "from=2025-01-01&to=2025-01-01", "from=&to=2025-01-31" })
        {
            using var response = await admin.GetAsync($"/api/stats?{query}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {response.StatusCode}");
        }
    }

    private static DateTimeOffset At(int day, int hour, int minute = 0) => D.AddDays(day).AddHours(hour).AddMinutes(minute);

    private static string Day(JsonElement d) =>
        $"{d.GetProperty("day").GetString()} red {Counts(d.GetProperty("red"))} blue {Counts(d.GetProperty("blue"))}";

    private static string Counts(JsonElement c) => $"{c.GetProperty("newVisitors").GetInt64()}/{c.GetProperty("views").GetInt64()}";

    private static string Of(JsonElement e, string color) =>
        $"{e.GetProperty(color).GetProperty("visitors").GetInt64()}/{e.GetProperty(color).GetProperty("views").GetInt64()}";
}
