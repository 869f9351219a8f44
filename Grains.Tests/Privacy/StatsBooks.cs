using System.Text.Json;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
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
               coalesce(sum(red_views), 0), coalesce(sum(blue_views), 0) FROM (SELECT j->>'c' AS color, (j->>'r')::bigint AS red_views, (j->>'b')::bigint AS blue_views
              FROM ball_grain_state, LATERAL (SELECT convert_from(payload, 'UTF8')::jsonb AS j) p
              WHERE state_name = 'visitor' AND payload IS NOT NULL) grain_payloads
        UNION ALL
        SELECT 'read model', count(*) FILTER (WHERE color = 'red'), count(*) FILTER (WHERE color = 'blue'),
               coalesce(sum(red_views), 0), coalesce(sum(blue_views), 0) FROM ball_visitor_stats
        UNION ALL
        SELECT 'totals', coalesce(sum(visitors) FILTER (WHERE color = 'red'), 0), coalesce(sum(visitors) FILTER (WHERE color = 'blue'), 0),
               coalesce(sum(views) FILTER (WHERE color = 'red'), 0), coalesce(sum(views) FILTER (WHERE color = 'blue'), 0) FROM ball_report_totals
        UNION ALL
        SELECT 'days', coalesce(sum(visitors) FILTER (WHERE color = 'red'), 0), coalesce(sum(visitors) FILTER (WHERE color = 'blue'), 0),
               coalesce(sum(views) FILTER (WHERE color = 'red'), 0), coalesce(sum(views) FILTER (WHERE color = 'blue'), 0) FROM ball_stats_daily
        """;

    // Anything negative. (Minutes hold the last hour's traffic only, and erasures leave them alone: they need not add up to the days.)
    private const string OddBucketsSql = """
        SELECT 'negative day ' || day || ' ' || color FROM ball_stats_daily GROUP BY day, color HAVING sum(views) < 0 OR sum(visitors) < 0
        UNION ALL
        SELECT 'negative minute ' || minute || ' ' || color FROM ball_visits_per_minute GROUP BY minute, color HAVING sum(visits) < 0
        """;

    /// <summary>
    /// Grain state, read model, totals, days and minutes hold the same visitors and views per
    /// color once the stats journal is folded; no day or minute is negative; the minutes of each
    /// day sum to its views.
    /// </summary>
    public static async Task AssertBalancedAsync(string database)
    {
        await StoredVisitors.FoldAsync(database);
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

    /// <summary>
    /// No row of any table mentions the visitor: not their id, not their pseudonymous id. Read as
    /// the schema's owner (<paramref name="owner"/>), who can read every table, the ones closed to
    /// the runtime role included.
    /// </summary>
    public static async Task AssertNoTraceAsync(string owner, string visitorId)
    {
        await using var connection = new NpgsqlConnection(owner);
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
    /// Writes a visitor's state by SQL through the ADO.NET provider's write (an update of the
    /// version stored, or an insert), as a visit or a restore would; it keeps the stats.
    /// </summary>
    public static async Task WriteAsync(string database, string visitorId, VisitorState state)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await WriteAsync(connection, null, visitorId, state);
    }

    /// <summary>The same write on <paramref name="connection"/>, inside <paramref name="transaction"/> when one is given (left open: a held write).</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string visitorId, VisitorState state)
    {
        await using var command = new NpgsqlCommand("""
            SELECT ball_grain_state_write($1, 'visitor', $2, 0, 0, $3,
                (SELECT version FROM ball_grain_state WHERE grain_key = $2 AND state_name = 'visitor' AND service_id = $1))
            """, connection, transaction);
        command.Parameters.Add(new() { Value = TestClusters.ServiceId });
        command.Parameters.Add(new() { Value = visitorId });
        command.Parameters.Add(new() { Value = JsonSerializer.SerializeToUtf8Bytes(state) });
        Assert.NotNull(await command.ExecuteScalarAsync() as int?);
    }

    /// <summary>Deletes visitors' rows by SQL, as retention does.</summary>
    public static async Task DeleteAsync(string database, params string[] visitorIds)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM ball_visitors_erase($1, 'visitor', $2)", connection);
        command.Parameters.Add(new() { Value = TestClusters.ServiceId });
        command.Parameters.Add(new() { Value = visitorIds });
        await command.ExecuteScalarAsync();
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
