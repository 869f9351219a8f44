using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using Npgsql;

namespace BallOrleans.Tests.Privacy;

/// <summary>
/// Erasing grain-state rows (as forget-me and retention do) takes the visitors out of every
/// stats table in the same transaction: the days exactly as their views were counted, the minutes
/// never below zero and always summing to the days. Written by SQL, as the triggers see any writer.
/// </summary>
public sealed class ErasureBookkeepingTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly DateTimeOffset Day1 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_erased_visitor_leaves_exactly_the_days_their_views_were_counted_on()
    {
        var database = await MigratedAsync("erase_days");
        var (a, b) = (VisitorId.NewId(), VisitorId.NewId());
        // A: two views on day 1, then three on day 3 (at 09:00 and twice at 12:00); B: four at 09:00 on day 3.
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 1, At(1, 10), At(1, 10)));
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 2, At(1, 10), At(1, 10, 5)));
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 3, At(1, 10), At(3, 9)));
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Red, 5, At(1, 10), At(3, 12)));
        await StatsBooks.WriteAsync(database, b, StatsBooks.State(BallColor.Red, 4, At(3, 9), At(3, 9)));
        await StatsBooks.AssertBalancedAsync(database);
        Assert.Equal([(1, 1L, 2L), (3, 1L, 7L)], await DaysAsync(database, "red"));

        await StatsBooks.DeleteAsync(database, a);

        Assert.Equal([(1, 0L, 0L), (3, 1L, 4L)], await DaysAsync(database, "red"));
        // Minutes keep the last hour only, and an erasure leaves them alone: 2025 has none.
        Assert.Equal(0, await StoredVisitors.ScalarAsync(database, "SELECT count(*) FROM ball_visits_per_minute"));
        await StatsBooks.AssertBalancedAsync(database);
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), a);
    }

    [Fact]
    public async Task Erasing_many_visitors_in_one_statement_leaves_the_others_views_on_their_days()
    {
        var database = await MigratedAsync("erase_many");
        var random = new Random(11);
        // Visitors who come on a few of six days, a few views a visit, and what each day got from each.
        var perDay = new Dictionary<string, Dictionary<(int Day, BallColor Color), long>>();
        var visitors = Enumerable.Range(0, 40).Select(_ => VisitorId.NewId()).ToList();
        foreach (var id in visitors)
        {
            var color = random.Next(2) == 0 ? BallColor.Red : BallColor.Blue;
            var days = Enumerable.Range(1, 6).Where(_ => random.Next(3) == 0).DefaultIfEmpty(random.Next(1, 7)).ToList();
            var first = At(days[0], random.Next(20), random.Next(60));
            long views = 0;
            perDay[id] = [];
            foreach (var day in days)
            {
                // Several views a minute apart or a few minutes apart, all within the day.
                var seen = day == days[0] ? first : At(day, random.Next(20), random.Next(60));
                for (var visit = random.Next(1, 4); visit > 0; visit--)
                {
                    views++;
                    perDay[id][(day, color)] = perDay[id].GetValueOrDefault((day, color)) + 1;
                    await StatsBooks.WriteAsync(database, id, StatsBooks.State(color, views, first, seen));
                    seen = seen.AddMinutes(random.Next(0, 30));
                }
            }
        }

        await StatsBooks.AssertBalancedAsync(database);
        var erased = visitors.Where((_, i) => i % 2 == 0).ToArray();

        await StatsBooks.DeleteAsync(database, erased);

        await StatsBooks.AssertBalancedAsync(database);
        foreach (var color in new[] { BallColor.Red, BallColor.Blue })
        {
            var expected = Enumerable.Range(1, 6)
                .Select(day => visitors.Except(erased).Sum(id => perDay[id].GetValueOrDefault((day, color))))
                .ToList();
            var actual = await DaysAsync(database, color.Name());
            Assert.Equal(expected, Enumerable.Range(1, 6).Select(day => actual.Where(d => d.Day == day).Sum(d => d.Views)).ToList());
        }

        foreach (var id in erased)
        {
            await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), id);
        }
    }

    [Fact]
    public async Task A_rebuild_puts_views_back_on_the_days_the_ledger_recorded_and_erases_from_there()
    {
        var database = await MigratedAsync("erase_rebuilt");
        var (a, b) = (VisitorId.NewId(), VisitorId.NewId());
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Blue, 1, At(1, 8), At(1, 8)));
        await StatsBooks.WriteAsync(database, a, StatsBooks.State(BallColor.Blue, 6, At(1, 8), At(4, 20)));
        await StatsBooks.WriteAsync(database, b, StatsBooks.State(BallColor.Blue, 2, At(2, 8), At(4, 20)));

        // The owner's maintenance (rebuild-read-model), closed to the runtime role.
        await StoredVisitors.QueryAsync(postgres.AsOwner(database), $"SELECT ball_stats_rebuild('{TestClusters.ServiceId}')");

        // The visitor row keeps its ledger: A's first view stays on day 1, the rest on day 4.
        Assert.Equal([(1, 1L, 1L), (2, 1L, 0L), (4, 0L, 7L)], await DaysAsync(database, "blue"));
        await StatsBooks.AssertBalancedAsync(database);
        await StatsBooks.DeleteAsync(database, a);
        Assert.Equal([(1, 0L, 0L), (2, 1L, 0L), (4, 0L, 2L)], await DaysAsync(database, "blue"));
        await StatsBooks.AssertBalancedAsync(database);
        await StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), a);
    }

    private static DateTimeOffset At(int day, int hour, int minute = 0) => Day1.AddDays(day - 1).AddHours(hour).AddMinutes(minute);

    /// <summary>(day of the test's month, new visitors, views) per day with a row, summed over shards, once the journal is folded.</summary>
    private static async Task<List<(int Day, long Visitors, long Views)>> DaysAsync(string database, string color)
    {
        await StoredVisitors.FoldAsync(database);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT day, sum(visitors)::bigint, sum(views)::bigint FROM ball_stats_daily WHERE color = $1 GROUP BY day ORDER BY day", connection);
        command.Parameters.Add(new() { Value = color });
        var days = new List<(int, long, long)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            days.Add((reader.GetFieldValue<DateOnly>(0).DayNumber - DateOnly.FromDateTime(Day1.UtcDateTime).DayNumber + 1, reader.GetInt64(1), reader.GetInt64(2)));
        }

        return days;
    }

    private Task<string> MigratedAsync(string name) => postgres.CreateDatabaseAsync(name);
}
