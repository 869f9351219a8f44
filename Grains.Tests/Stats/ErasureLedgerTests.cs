using System.Text.Json;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Web;
using Npgsql;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// Erasures in the books: the ledger counts what each erasure took, per arm, day and reason, in
/// the erasure's transaction, and the split check runs on everyone assigned and on those remaining.
/// </summary>
public sealed class ErasureLedgerTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly DateTimeOffset Day1 = new(2025, 6, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Erasing_from_one_arm_only_flags_the_remaining_split_while_the_assigned_split_stays_healthy()
    {
        var database = await postgres.CreateDatabaseAsync("erasure_ledger_split");
        await using var app = WhoIsCounted.StartApp(database);
        var admin = WhoIsCounted.Admin(app);
        // 3,000 red and 3,000 blue visitors, half first seen on day 1 and half on day 2, two views each.
        var red = Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId()).ToList();
        var blue = Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId()).ToList();
        await WriteTogetherAsync(database, (red, BallColor.Red), (blue, BallColor.Blue));

        // An arm that makes people ask to be forgotten: 600 red visitors go, 400 of day 1 and 200 of day 2.
        var forgotten = red.Where((_, i) => i % 2 == 0).Take(400).Concat(red.Where((_, i) => i % 2 == 1).Take(200)).ToArray();
        Assert.Equal(600, await EraseAsync(database, forgotten, "forget"));

        var stats = await AdminStats.HoldingAsync(admin, database, visitors: 5400, "/api/stats?from=2025-06-01&to=2025-06-02");
        var remaining = stats.GetProperty("splitChecks").GetProperty("remaining");
        var assigned = stats.GetProperty("splitChecks").GetProperty("assigned");
        Assert.True(remaining.GetProperty("flagged").GetBoolean(), remaining.ToString());
        Assert.True(remaining.GetProperty("sequential").GetProperty("flagged").GetBoolean(), remaining.ToString());
        Assert.False(assigned.GetProperty("flagged").GetBoolean(), assigned.ToString());
        Assert.False(assigned.GetProperty("sequential").GetProperty("flagged").GetBoolean(), assigned.ToString());
        Assert.Equal(remaining.ToString(), stats.GetProperty("srm").ToString());

        // The ledger: counts per arm and reason, all time, and per day the erased figures were counted on.
        var erased = stats.GetProperty("erased");
        Assert.Equal((600, 1200), (erased.GetProperty("red").GetProperty("visitors").GetInt64(), erased.GetProperty("red").GetProperty("views").GetInt64()));
        Assert.Equal(600, erased.GetProperty("red").GetProperty("reasons").GetProperty("forget").GetProperty("visitors").GetInt64());
        Assert.Equal(0, erased.GetProperty("red").GetProperty("reasons").GetProperty("retention").GetProperty("visitors").GetInt64());
        Assert.Equal(0, erased.GetProperty("blue").GetProperty("visitors").GetInt64());
        var days = stats.GetProperty("daily").EnumerateArray().ToDictionary(d => d.GetProperty("day").GetString()!);
        Assert.Equal(400, days["2025-06-01"].GetProperty("erased").GetProperty("red").GetProperty("visitors").GetInt64());
        Assert.Equal(800, days["2025-06-01"].GetProperty("erased").GetProperty("red").GetProperty("views").GetInt64());
        Assert.Equal(200, days["2025-06-02"].GetProperty("erased").GetProperty("red").GetProperty("visitors").GetInt64());
        Assert.Equal(1100, days["2025-06-01"].GetProperty("red").GetProperty("newVisitors").GetInt64());
        var range = stats.GetProperty("range");
        Assert.True(range.GetProperty("srm").GetProperty("flagged").GetBoolean());
        Assert.False(range.GetProperty("assignedSrm").GetProperty("flagged").GetBoolean());

        // Counts only: the ledger names no visitor, and the erased are gone from every table.
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), forgotten[0]);
        await StatsBooks.AssertBalancedAsync(database);
    }

    [Fact]
    public async Task Each_erasure_is_booked_under_its_reason_in_the_same_transaction()
    {
        var database = await postgres.CreateDatabaseAsync("erasure_ledger_reasons");

        var ids = Enumerable.Range(0, 4).Select(_ => VisitorId.NewId()).ToList();
        await WriteAsync(database, ids, BallColor.Blue);
        Assert.Equal(1, await EraseAsync(database, [ids[0]], "forget"));
        Assert.Equal(1, await EraseAsync(database, [ids[1]], "retention"));
        Assert.Equal(1, await EraseAsync(database, [ids[2]], "admin"));
        Assert.Equal(0, await EraseAsync(database, [ids[0]], "forget"));  // erasing twice books nothing more

        // A failed erasure books nothing: an unknown reason is refused by the table, and the row stays.
        await Assert.ThrowsAsync<PostgresException>(() => EraseAsync(database, [ids[3]], "whim"));
        Assert.Equal(1, await StoredVisitors.ScalarAsync(database, "SELECT count(*) FROM ball_visitor_stats"));
        await StoredVisitors.FoldAsync(database);
        Assert.Equal(
            "admin:1/2 forget:1/2 retention:1/2",
            await StoredVisitors.ScalarTextAsync(database,
                "SELECT string_agg(reason || ':' || v || '/' || w, ' ' ORDER BY reason) FROM " +
                "(SELECT reason, sum(visitors) AS v, sum(views) AS w FROM ball_stats_erased WHERE color = 'blue' GROUP BY reason) s"));
    }

    /// <summary>Writes visitors of one color in one statement through the provider's write: half first seen on day 1, half on day 2, two views each.</summary>
    internal static Task WriteAsync(string database, IReadOnlyList<string> ids, BallColor color) => WriteTogetherAsync(database, (ids, color));

    /// <summary>
    /// Every group in one statement, so one commit: the assigned counters go from before to after
    /// at once. Written one color after the other, a split check (which latches its first
    /// crossing) would see all of one arm and none of the other in between.
    /// </summary>
    internal static async Task WriteTogetherAsync(string database, params (IReadOnlyList<string> Ids, BallColor Color)[] groups)
    {
        var ids = groups.SelectMany(g => g.Ids).ToArray();
        var payloads = groups.SelectMany(g => g.Ids.Select((_, i) =>
        {
            var first = Day1.AddDays(i % 2).AddMinutes(i % 600);
            return JsonSerializer.SerializeToUtf8Bytes(StatsBooks.State(g.Color, 2, first, first.AddMinutes(1)));
        })).ToArray();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(ball_grain_state_write($1, 'visitor', k, 0, 0, p, NULL)) FROM unnest($2::text[], $3::bytea[]) AS u(k, p)", connection);
        command.Parameters.Add(new() { Value = TestClusters.ServiceId });
        command.Parameters.Add(new() { Value = ids });
        command.Parameters.Add(new() { Value = payloads });
        Assert.Equal((long)ids.Length, (long)(await command.ExecuteScalarAsync())!);
    }

    internal static async Task<long> EraseAsync(string database, string[] ids, string reason)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM ball_visitors_erase($1, 'visitor', $2, NULL, $3)", connection);
        command.Parameters.Add(new() { Value = TestClusters.ServiceId });
        command.Parameters.Add(new() { Value = ids });
        command.Parameters.Add(new() { Value = reason });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
