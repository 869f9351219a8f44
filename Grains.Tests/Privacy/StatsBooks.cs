using System.Text.Json;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using Npgsql;

namespace BallOrleans.Tests.Privacy;

/// <summary>
/// The stats' books, checked straight in the database: grain state, read model, totals, days and
/// minutes must agree after any mix of visits and erasures, and an erased visitor must leave no
/// trace in any table.
/// </summary>
internal static class StatsBooks
{
    private const string SumsSql = """
        SELECT 'payloads', count(*) FILTER (WHERE color = 'red'), count(*) FILTER (WHERE color = 'blue'),
               coalesce(sum(red_views), 0), coalesce(sum(blue_views), 0) FROM ball_visitor_payloads
        UNION ALL
        SELECT 'read model', count(*) FILTER (WHERE color = 'red'), count(*) FILTER (WHERE color = 'blue'),
               coalesce(sum(red_views), 0), coalesce(sum(blue_views), 0) FROM ball_visitor_stats
        UNION ALL
        SELECT 'totals', coalesce(sum(visitors) FILTER (WHERE color = 'red'), 0), coalesce(sum(visitors) FILTER (WHERE color = 'blue'), 0),
               coalesce(sum(views) FILTER (WHERE color = 'red'), 0), coalesce(sum(views) FILTER (WHERE color = 'blue'), 0) FROM ball_report_totals
        UNION ALL
        SELECT 'days', coalesce(sum(visitors) FILTER (WHERE color = 'red'), 0), coalesce(sum(visitors) FILTER (WHERE color = 'blue'), 0),
               coalesce(sum(views) FILTER (WHERE color = 'red'), 0), coalesce(sum(views) FILTER (WHERE color = 'blue'), 0) FROM ball_stats_daily
        UNION ALL
        SELECT 'minutes', -1, -1,
               coalesce(sum(visits) FILTER (WHERE color = 'red'), 0), coalesce(sum(visits) FILTER (WHERE color = 'blue'), 0) FROM ball_visits_per_minute
        """;

    // Anything negative, and any day whose minutes do not add up to its views.
    private const string OddBucketsSql = """
        SELECT 'negative day ' || day || ' ' || color FROM ball_stats_daily GROUP BY day, color HAVING sum(views) < 0 OR sum(visitors) < 0
        UNION ALL
        SELECT 'negative minute ' || minute || ' ' || color FROM ball_visits_per_minute GROUP BY minute, color HAVING sum(visits) < 0
        UNION ALL
        SELECT 'minutes of ' || coalesce(m.day, d.day) || ' ' || coalesce(m.color, d.color) || ': ' || coalesce(m.views, 0) || ' <> ' || coalesce(d.views, 0)
        FROM (SELECT ball_day(minute) AS day, color, sum(visits) AS views FROM ball_visits_per_minute GROUP BY 1, 2) m
        FULL JOIN (SELECT day, color, sum(views) AS views FROM ball_stats_daily GROUP BY 1, 2) d ON m.day = d.day AND m.color = d.color
        WHERE coalesce(m.views, 0) <> coalesce(d.views, 0)
        """;

    /// <summary>
    /// Grain state, read model, totals, days and minutes hold the same visitors and views per
    /// color; no day or minute is negative; the minutes of each day sum to its views.
    /// </summary>
    public static async Task AssertBalancedAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var sums = new List<(string Source, long RedVisitors, long BlueVisitors, long RedViews, long BlueViews)>();
        await using (var command = new NpgsqlCommand(SumsSql, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sums.Add((reader.GetString(0), Convert.ToInt64(reader.GetValue(1)), Convert.ToInt64(reader.GetValue(2)),
                    Convert.ToInt64(reader.GetValue(3)), Convert.ToInt64(reader.GetValue(4))));
            }
        }

        var truth = sums[0];
        foreach (var s in sums.Skip(1))
        {
            var visitorsAgree = s.RedVisitors == -1 || (s.RedVisitors, s.BlueVisitors) == (truth.RedVisitors, truth.BlueVisitors);
            Assert.True(visitorsAgree && (s.RedViews, s.BlueViews) == (truth.RedViews, truth.BlueViews),
                $"{s.Source} {s} disagrees with grain state {truth}");
        }

        var odd = new List<string>();
        await using (var command = new NpgsqlCommand(OddBucketsSql, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                odd.Add(reader.GetString(0));
            }
        }

        Assert.True(odd.Count == 0, string.Join("\n", odd));
    }

    /// <summary>No row of any table mentions the visitor: not their id, not their pseudonymous id.</summary>
    public static async Task AssertNoTraceAsync(string database, string visitorId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        string pid;
        await using (var command = new NpgsqlCommand("SELECT encode(ball_visitor_pid(inner_pad, outer_pad, $1), 'hex') FROM ball_stats_key", connection))
        {
            command.Parameters.Add(new() { Value = visitorId });
            pid = (string)(await command.ExecuteScalarAsync())!;
        }

        var tables = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("ball_grain_state", tables);
        foreach (var table in tables)
        {
            // A row as text shows bytea as hex and payloads' bytes as hex too, so both ids are found wherever they are.
            await using var command = new NpgsqlCommand(
                $"SELECT count(*) FROM {table} t WHERE strpos(t::text, $1) > 0 OR strpos(t::text, $2) > 0 OR strpos(t::text, $3) > 0", connection);
            command.Parameters.Add(new() { Value = visitorId });
            command.Parameters.Add(new() { Value = pid });
            command.Parameters.Add(new() { Value = Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(visitorId)) });
            Assert.True((long)(await command.ExecuteScalarAsync())! == 0, $"{table} still has a row of visitor {visitorId} (pseudonym {pid})");
        }
    }

    /// <summary>
    /// Writes a visitor's state row by SQL, an update if the row exists, else an insert, as a visit
    /// (or a restore) would; the triggers keep the stats.
    /// </summary>
    public static async Task WriteAsync(string database, string visitorId, VisitorState state, DateTimeOffset? modifiedOn = null)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        foreach (var sql in new[]
        {
            """
            UPDATE ball_grain_state SET payload = $3, version = version + 1, modified_on = coalesce($4, now())
            WHERE grain_key = $2 AND key_n0 = 0 AND key_n1 = 0 AND state_name = 'visitor' AND service_id = $1
            """,
            """
            INSERT INTO ball_grain_state (service_id, state_name, grain_key, key_n0, key_n1, payload, version, modified_on)
            VALUES ($1, 'visitor', $2, 0, 0, $3, 1, coalesce($4, now()))
            """,
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new() { Value = TestClusters.ServiceId });
            command.Parameters.Add(new() { Value = visitorId });
            command.Parameters.Add(new() { Value = JsonSerializer.SerializeToUtf8Bytes(state) });
            command.Parameters.Add(new() { Value = (object?)modifiedOn?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            if (await command.ExecuteNonQueryAsync() == 1)
            {
                return;
            }
        }
    }

    /// <summary>Deletes a visitor's row by SQL, as retention does.</summary>
    public static async Task DeleteAsync(string database, params string[] visitorIds)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("DELETE FROM ball_grain_state WHERE grain_key = ANY($1) AND state_name = 'visitor'", connection);
        command.Parameters.Add(new() { Value = visitorIds });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A state of <paramref name="views"/> views of <paramref name="color"/>, first and last seen as given.</summary>
    public static VisitorState State(BallColor color, long views, DateTimeOffset first, DateTimeOffset last, BrowserFamily? browser = BrowserFamily.Chrome) => new()
    {
        Color = color,
        RedViews = color == BallColor.Red ? views : 0,
        BlueViews = color == BallColor.Blue ? views : 0,
        FirstSeen = first,
        LastSeen = last,
        Browser = browser,
    };
}
