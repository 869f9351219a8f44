using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using Npgsql;
using Orleans.TestingHost;
using BallOrleans.Tests.Visitors;

namespace BallOrleans.Tests.Stats;

/// <summary>What the visitor grains have durably stored, summed straight from their state rows: the truth the stats must match.</summary>
internal static class StoredVisitors
{
    public sealed record Sums(long RedVisitors, long BlueVisitors, long RedViews, long BlueViews)
    {
        public bool Matches(StatsSnapshot s) =>
            s.Of(BallColor.Red) == new ColorTotals(BallColor.Red, RedVisitors, RedViews)
            && s.Of(BallColor.Blue) == new ColorTotals(BallColor.Blue, BlueVisitors, BlueViews);
    }

    public static Task<Sums> SumAsync(string database) => SumsAsync(database, """
        SELECT count(*) FILTER (WHERE color = 'red'), count(*) FILTER (WHERE color = 'blue'),
               coalesce(sum(red_views), 0)::bigint, coalesce(sum(blue_views), 0)::bigint
        FROM (SELECT j->>'c' AS color, (j->>'r')::bigint AS red_views, (j->>'b')::bigint AS blue_views
              FROM ball_grain_state, LATERAL (SELECT convert_from(payload, 'UTF8')::jsonb AS j) p
              WHERE state_name = 'visitor' AND payload IS NOT NULL) grain_payloads
        """);

    private static async Task<Sums> SumsAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Sums(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>The same sums from the read model's rows.</summary>
    public static Task<Sums> ReadModelSumAsync(string database) => SumsAsync(database, """
        SELECT count(*) FILTER (WHERE color = 'red'), count(*) FILTER (WHERE color = 'blue'),
               coalesce(sum(red_views), 0)::bigint, coalesce(sum(blue_views), 0)::bigint
        FROM ball_visitor_stats
        """);

    /// <summary>
    /// Folds the stats journal into the aggregates, waiting for a silo's fold in progress: after it,
    /// every visit and erasure committed before the call is in the totals, days, minutes and books.
    /// </summary>
    public static Task FoldAsync(string database) => QueryAsync(database, "SELECT ball_stats_fold(true)");

    /// <summary>The same sums from the (sharded) totals, once the journal is folded.</summary>
    public static async Task<Sums> TotalsAsync(string database)
    {
        await FoldAsync(database);
        return await SumsAsync(database, TotalsSql);
    }

    private const string TotalsSql = """
        SELECT coalesce(sum(visitors) FILTER (WHERE color = 'red'), 0)::bigint, coalesce(sum(visitors) FILTER (WHERE color = 'blue'), 0)::bigint,
               coalesce(sum(views) FILTER (WHERE color = 'red'), 0)::bigint, coalesce(sum(views) FILTER (WHERE color = 'blue'), 0)::bigint
        FROM ball_report_totals
        """;

    /// <summary>The first column of the first row of <paramref name="sql"/>.</summary>
    public static async Task<object?> QueryAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public static async Task<long> ScalarAsync(string database, string sql) => Convert.ToInt64(await QueryAsync(database, sql));

    public static async Task<string?> ScalarTextAsync(string database, string sql) => await QueryAsync(database, sql) as string;

    /// <summary>Visits <paramref name="visitors"/> new visitors 1–5 times each, many at once.</summary>
    public static async Task<List<string>> LoadAsync(IGrainFactory grains, int visitors, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, visitors).Select(_ => VisitorId.NewId()).ToList();
        var visits = ids.Select(id => (Id: id, Count: random.Next(1, 6))).ToList();
        await Parallel.ForEachAsync(visits, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (v, _) =>
        {
            var grain = grains.GetGrain<IVisitorGrain>(v.Id);
            await grains.FirstVisitAsync(v.Id, Guid.NewGuid());
            for (var i = 1; i < v.Count; i++)
            {
                await grain.VisitAsync(Guid.NewGuid());
            }
        });
        return ids;
    }

    /// <summary>Polls the report until it matches the stored visitors; returns the last snapshot and how long it took.</summary>
    public static async Task<(StatsSnapshot Snapshot, Sums Expected, TimeSpan Waited)> WaitForReportAsync(
        InProcessTestCluster cluster, string database, TimeSpan deadline)
    {
        var expected = await SumAsync(database);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        StatsSnapshot? snapshot = null;
        while (clock.Elapsed < deadline)
        {
            try
            {
                snapshot = await cluster.Client.GetGrain<IReportGrain>(0).GetStatsAsync();
                if (expected.Matches(snapshot))
                {
                    break;
                }
            }
            catch (Exception) when (clock.Elapsed < deadline)
            {
                // A report on a silo that just died answers again once membership moves it.
            }

            await Task.Delay(100);
        }

        return (snapshot!, expected, clock.Elapsed);
    }
}
