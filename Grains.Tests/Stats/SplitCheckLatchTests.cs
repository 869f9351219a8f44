using System.Text.Json;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Web;
using Npgsql;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// The split alert's check latches (issue 27, item 2): its first crossing is stored in
/// <c>ball_split_check_latched</c> with its time and counts, and the check stays flagged, on
/// <c>/api/stats</c> and <c>/stats</c>, after more visitors bring its statistic back under.
/// </summary>
public sealed class SplitCheckLatchTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly double EveryoneThreshold = Math.Log(2000);

    [Fact]
    public async Task A_check_that_crossed_stays_flagged_with_its_stored_time_and_counts_after_its_statistic_falls_back()
    {
        var database = await postgres.CreateDatabaseAsync("split_latch");
        await using var app = WhoIsCounted.StartApp(database);
        var admin = WhoIsCounted.Admin(app);

        // 3,000 red, then 1,000 blue, under 50/50 weights: far over the check of everyone's threshold.
        await ErasureLedgerTests.WriteAsync(database, Ids(3000), BallColor.Red);
        await ErasureLedgerTests.WriteAsync(database, Ids(1000), BallColor.Blue);
        var over = Everyone(await AdminStats.HoldingAsync(admin, database, 4000, "/api/stats"));
        Assert.True(over.GetProperty("logBayesFactor").GetDouble() >= EveryoneThreshold);
        Assert.True(over.GetProperty("flagged").GetBoolean());
        var latch = over.GetProperty("latched");
        var at = latch.GetProperty("at").GetDateTimeOffset();
        // The first crossing any process saw: the metrics' refresh may look between the two writes.
        var (red, blue) = (latch.GetProperty("red").GetInt64(), latch.GetProperty("blue").GetInt64());
        Assert.Equal(3000, red);
        Assert.Contains(blue, new[] { 0L, 1000L });

        // 2,000 more blue: 3,000 each, and the statistic is back under (below 0: it favours the weights).
        await ErasureLedgerTests.WriteAsync(database, Ids(2000), BallColor.Blue);
        var stats = await AdminStats.HoldingAsync(admin, database, 6000, "/api/stats");
        var under = Everyone(stats);
        Assert.True(under.GetProperty("logBayesFactor").GetDouble() < 0, under.ToString());
        Assert.True(under.GetProperty("flagged").GetBoolean());
        Assert.Equal(at, under.GetProperty("latched").GetProperty("at").GetDateTimeOffset());
        Assert.Equal((red, blue), (under.GetProperty("latched").GetProperty("red").GetInt64(), under.GetProperty("latched").GetProperty("blue").GetInt64()));
        var checks = stats.GetProperty("splitChecks").GetProperty("family").GetProperty("checks");
        var familyCheck = checks[0];
        Assert.Equal("all", familyCheck.GetProperty("browser").GetString());
        Assert.Equal(at, familyCheck.GetProperty("srm").GetProperty("sequential").GetProperty("latched").GetProperty("at").GetDateTimeOffset());
        // The visitors were written as Chrome's: that family's check crossed and latched as well;
        // the families that saw no visitor of theirs are neither flagged nor latched.
        foreach (var check in checks.EnumerateArray().Skip(1))
        {
            var sequential = check.GetProperty("srm").GetProperty("sequential");
            var chrome = check.GetProperty("browser").GetString() == "chrome";
            Assert.Equal(chrome, sequential.GetProperty("flagged").GetBoolean());
            Assert.Equal(chrome, sequential.GetProperty("latched").ValueKind == JsonValueKind.Object);
        }

        // The page says so, with the stored time, on the line of the assigned check and in the family table.
        var page = await admin.GetStringAsync("/stats");
        // Three latches shown: the line of the assigned check, and the rows of everyone and of chrome.
        Assert.Equal(3, page.Split("data-latched-at=").Length - 1);
        Assert.Contains($"data-latched-at=\"{at.UtcDateTime:O}\"", page, StringComparison.Ordinal);
        Assert.Contains("class=\"sequential flagged\" id=\"srm-assigned-sequential\"", page, StringComparison.Ordinal);

        // Stored once: the first crossing, whatever process saw it (the metrics' refresh looks too).
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT population, browser, flagged_at, red_visitors, blue_visitors FROM ball_split_check_latched WHERE service_id = $1 ORDER BY browser", connection);
        command.Parameters.Add(new() { Value = TestClusters.ServiceId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("assigned", "all", at, red, blue),
            (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetInt64(3), reader.GetInt64(4)));
        Assert.True(await reader.ReadAsync());
        Assert.Equal(("assigned", "chrome", 3000L), (reader.GetString(0), reader.GetString(1), reader.GetInt64(3)));
        Assert.False(await reader.ReadAsync());
    }

    private static JsonElement Everyone(JsonElement stats) => stats.GetProperty("splitChecks").GetProperty("assigned").GetProperty("sequential");

    private static List<string> Ids(int count) => [.. Enumerable.Range(0, count).Select(_ => VisitorId.NewId())];
}
