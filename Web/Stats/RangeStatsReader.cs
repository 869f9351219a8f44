using System.Data;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using Npgsql;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Reads the stats of a range of days: the daily series (sharded rows, summed), the visitors
/// first seen before the range (for the running count), the segments of the visitors first
/// seen in the range, from their read-model rows (an index range on first_seen), and the erasure
/// ledger of its days. All in one repeatable-read transaction: one snapshot, so that a day's
/// remaining and erased visitors (added up into those assigned on it) are of the same moment.
/// </summary>
public sealed class RangeStatsReader(NpgsqlDataSource dataSource)
{
    private const string DailySql = """
        SELECT day, color, sum(visitors)::bigint, sum(views)::bigint FROM ball_stats_daily
        WHERE day BETWEEN $1 AND $2 GROUP BY day, color
        """;

    private const string BeforeSql = "SELECT color, sum(visitors)::bigint FROM ball_stats_daily WHERE day < $1 GROUP BY color";

    private const string ErasedDailySql = """
        SELECT day, color, sum(visitors)::bigint, sum(views)::bigint, reason FROM ball_stats_erased
        WHERE day BETWEEN $1 AND $2 GROUP BY day, color, reason
        """;

    private const string SegmentsSql = """
        SELECT coalesce(browser, ''), color, last_seen - first_seen >= $3, count(*), sum(views)::bigint, sum(views::float8 * views)
        FROM ball_visitor_stats
        WHERE first_seen >= $1 AND first_seen < $2
        GROUP BY 1, 2, 3
        """;

    public async Task<RangeStats> ReadAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Read committed would give each statement of the batch a snapshot of its own.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Command(DailySql, from, to));
        batch.BatchCommands.Add(Command(BeforeSql, from));
        batch.BatchCommands.Add(Command(SegmentsSql, Start(from), Start(to.AddDays(1)), RangeStats.ReturningAfter));
        batch.BatchCommands.Add(Command(ErasedDailySql, from, to));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var days = await DaysAsync(reader, cancellationToken);

        await reader.NextResultAsync(cancellationToken);
        long redBefore = 0, blueBefore = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (BallColors.TryParse(reader.GetString(0), out var color))
            {
                (color == BallColor.Red ? ref redBefore : ref blueBefore) = reader.GetInt64(1);
            }
        }

        await reader.NextResultAsync(cancellationToken);
        var rows = new List<(string Browser, BallColor Color, bool Returning, long Visitors, long Views)>();
        // Per color, the views per visitor's sums: what the results table's means and intervals need.
        ArmSums redViews = default, blueViews = default;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (BallColors.TryParse(reader.GetString(1), out var color))
            {
                rows.Add((reader.GetString(0), color, reader.GetBoolean(2), reader.GetInt64(3), reader.GetInt64(4)));
                ref var sums = ref color == BallColor.Red ? ref redViews : ref blueViews;
                sums = new ArmSums(sums.Visitors + reader.GetInt64(3), sums.Sum + reader.GetInt64(4), sums.SumOfSquares + reader.GetDouble(5));
            }
        }

        await reader.NextResultAsync(cancellationToken);
        var erasedByReason = new List<(DateOnly Day, ErasedCounts Counts)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (BallColors.TryParse(reader.GetString(1), out var color) && ErasureReasons.TryParse(reader.GetString(4), out var reason))
            {
                erasedByReason.Add((reader.GetFieldValue<DateOnly>(0), new ErasedCounts(color, reason, reader.GetInt64(2), reader.GetInt64(3))));
            }
        }

        var erasedDays = erasedByReason.GroupBy(e => (e.Day, e.Counts.Color)).ToDictionary(
            g => g.Key, g => new ColorTotals(g.Key.Color, g.Sum(e => e.Counts.Visitors), g.Sum(e => e.Counts.Views)));
        await reader.CloseAsync();
        await transaction.CommitAsync(cancellationToken);

        var daily = new List<DayStats>();
        var erasedDaily = new List<DayStats>();
        var cumulative = new List<DayVisitors>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var red = days.GetValueOrDefault((day, BallColor.Red)) ?? new ColorTotals(BallColor.Red, 0, 0);
            var blue = days.GetValueOrDefault((day, BallColor.Blue)) ?? new ColorTotals(BallColor.Blue, 0, 0);
            daily.Add(new DayStats(day, red, blue));
            erasedDaily.Add(new DayStats(day,
                erasedDays.GetValueOrDefault((day, BallColor.Red)) ?? new ColorTotals(BallColor.Red, 0, 0),
                erasedDays.GetValueOrDefault((day, BallColor.Blue)) ?? new ColorTotals(BallColor.Blue, 0, 0)));
            redBefore += red.Visitors;
            blueBefore += blue.Visitors;
            cumulative.Add(new DayVisitors(day, redBefore, blueBefore));
        }

        return new RangeStats(from, to, daily, cumulative,
            Sum(rows.Where(r => r.Color == BallColor.Red), BallColor.Red), Sum(rows.Where(r => r.Color == BallColor.Blue), BallColor.Blue),
            Segments(rows), new ErasureBooks(erasedDaily) { DailyByReason = erasedByReason })
        {
            RedViews = redViews,
            BlueViews = blueViews,
        };
    }

    private static async Task<Dictionary<(DateOnly, BallColor), ColorTotals>> DaysAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var days = new Dictionary<(DateOnly, BallColor), ColorTotals>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (BallColors.TryParse(reader.GetString(1), out var color))
            {
                days[(reader.GetFieldValue<DateOnly>(0), color)] = new ColorTotals(color, reader.GetInt64(2), reader.GetInt64(3));
            }
        }

        return days;
    }

    private static List<SegmentStats> Segments(List<(string Browser, BallColor Color, bool Returning, long Visitors, long Views)> rows)
    {
        var segments = rows
            .GroupBy(r => r.Browser.Length == 0 ? SegmentStats.UnknownBrowser : r.Browser)
            .Select(g => Segment(SegmentStats.Browser, g.Key, g))
            .OrderByDescending(s => s.Red.Visitors + s.Blue.Visitors).ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
        segments.Add(Segment(SegmentStats.VisitorType, SegmentStats.New, rows.Where(r => !r.Returning)));
        segments.Add(Segment(SegmentStats.VisitorType, SegmentStats.Returning, rows.Where(r => r.Returning)));
        return segments;
    }

    private static SegmentStats Segment(
        string dimension, string name, IEnumerable<(string Browser, BallColor Color, bool Returning, long Visitors, long Views)> rows)
    {
        var list = rows.ToList();
        return new SegmentStats(dimension, name,
            Sum(list.Where(r => r.Color == BallColor.Red), BallColor.Red), Sum(list.Where(r => r.Color == BallColor.Blue), BallColor.Blue));
    }

    private static ColorTotals Sum(IEnumerable<(string Browser, BallColor Color, bool Returning, long Visitors, long Views)> rows, BallColor color)
    {
        long visitors = 0, views = 0;
        foreach (var r in rows)
        {
            visitors += r.Visitors;
            views += r.Views;
        }

        return new ColorTotals(color, visitors, views);
    }

    private static DateTime Start(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new() { Value = value });
        }

        return command;
    }
}
