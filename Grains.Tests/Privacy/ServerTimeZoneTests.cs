using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BallOrleans.Tests.Privacy;

/// <summary>
/// Days are UTC days whatever the server's time zone: a database whose TimeZone is Europe/Berlin
/// puts views on the UTC day they happened, across both daylight-saving changes, and an erasure run
/// in another session time zone takes them from exactly those days.
/// </summary>
public sealed class ServerTimeZoneTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    // Berlin's clocks go forward at 01:00 UTC on 2026-03-29 and back at 01:00 UTC on 2026-10-25.
    [Theory]
    [InlineData("2026-03-28T23:30:00Z", "2026-03-29T22:30:00Z", "2026-03-30T00:30:00Z")]
    [InlineData("2026-10-24T22:30:00Z", "2026-10-25T23:30:00Z", "2026-10-26T00:30:00Z")]
    public async Task Views_land_on_their_utc_day_and_erasure_takes_them_from_there(string first, string second, string third)
    {
        var database = await BerlinDatabaseAsync("tz_" + first[5..7]);
        var (a, b) = (VisitorId.NewId(), VisitorId.NewId());
        var (t1, t2, t3) = (DateTimeOffset.Parse(first), DateTimeOffset.Parse(second), DateTimeOffset.Parse(third));
        // A visits once on each of three UTC days, each late in the evening by Berlin's clock or just after its midnight.
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 1, t1, t1));
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 2, t1, t2));
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 3, t1, t3));
        await StatsBooks.WriteAsync(database, b, StatsBooks.State(BallColor.Red, 1, t2, t2));
        Assert.Equal("Europe/Berlin", await StoredVisitorsText(database, "SHOW TimeZone"));

        var day1 = DateOnly.FromDateTime(t1.UtcDateTime);
        Assert.Equal([(day1, 1L, 1L), (day1.AddDays(1), 1L, 2L), (day1.AddDays(2), 0L, 1L)], await DaysAsync(database));

        // Erased from a session in UTC: the same days, so nothing is left of A.
        await EraseAsync(database + ";Timezone=UTC", a);

        Assert.Equal([(day1, 0L, 0L), (day1.AddDays(1), 1L, 1L), (day1.AddDays(2), 0L, 0L)], await DaysAsync(database));
        await StatsBooks.AssertBalancedAsync(database);
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), a);
    }

    private async Task<string> BerlinDatabaseAsync(string name)
    {
        var database = await postgres.CreateDatabaseAsync(name);
        var databaseName = new NpgsqlConnectionStringBuilder(database).Database!;
        // As the database's owner, as an operator would set it; unpooled: a pooled connection
        // would keep the zone it started with.
        await using (var connection = new NpgsqlConnection(postgres.AsOwner(database) + ";Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"ALTER DATABASE \"{databaseName}\" SET TimeZone = 'Europe/Berlin'", connection);
            await command.ExecuteNonQueryAsync();
        }

        return database;
    }

    private static async Task<string?> StoredVisitorsText(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() as string;
    }

    private static async Task EraseAsync(string connectionString, string visitorId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM ball_visitors_erase($1, 'visitor', $2)", connection);
        command.Parameters.Add(new() { Value = TestClusters.ServiceId });
        command.Parameters.Add(new() { Value = new[] { visitorId } });
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    /// <summary>(day, new visitors, views) of red per day with a row, summed over shards, once the journal is folded.</summary>
    private static async Task<List<(DateOnly Day, long Visitors, long Views)>> DaysAsync(string database)
    {
        await StoredVisitors.FoldAsync(database);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT day, sum(visitors)::bigint, sum(views)::bigint FROM ball_stats_daily WHERE color = 'red' GROUP BY day ORDER BY day", connection);
        var days = new List<(DateOnly, long, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            days.Add((reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return days;
    }
}
