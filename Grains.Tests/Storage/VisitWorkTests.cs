using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using Npgsql;
using BallOrleans.Tests.Visitors;

namespace BallOrleans.Tests.Storage;

/// <summary>What a returning visit costs PostgreSQL in rows: every update it makes is HOT (issue 19).</summary>
[Collection(RunsAlone.Name)]
// Thousands of visits until the statistics show them: 5-15 s.
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class VisitWorkTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly string[] VisitTables = ["ball_grain_state", "ball_report_totals", "ball_stats_daily", "ball_visits_per_minute"];

    [Fact]
    public async Task At_least_nine_in_ten_updates_of_every_table_a_visit_touches_are_HOT()
    {
        var database = await postgres.CreateDatabaseAsync("hot");
        await using var cluster = await TestClusters.StartAsync(database);
        var ids = await StoredVisitors.LoadAsync(cluster.Client, visitors: 200, seed: 3);
        await StoredVisitors.FoldAsync(database); // the aggregates' rows exist: later folds update them
        var before = await CountersAsync(database, until: _ => true);

        for (var round = 0; round < 15; round++)
        {
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (id, _) =>
                Assert.IsType<VisitOutcome.Counted>(await cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(Guid.CreateVersion7())));
            // Visits append to the journal; its fold (once a second on a silo) updates the aggregates.
            await StoredVisitors.FoldAsync(database);
        }

        // Every visit updated its visitor's row, so the counters are complete once that many show.
        var after = await CountersAsync(database, until: c => c["ball_grain_state"].Updates - before["ball_grain_state"].Updates >= 15 * 200
            && VisitTables.All(t => c[t].Updates > before[t].Updates));
        foreach (var table in VisitTables)
        {
            var updates = after[table].Updates - before[table].Updates;
            var hot = after[table].Hot - before[table].Hot;
            Assert.True(updates > 0, $"{table}: no updates");
            Assert.True(hot >= 0.9 * updates, $"{table}: {hot} of {updates} updates were HOT");
        }
    }

    /// <summary>
    /// Each table's update counters, once <paramref name="until"/> holds: backends report their
    /// counts to the statistics some time after they go idle (about a second, at most ten).
    /// </summary>
    private static async Task<Dictionary<string, (long Updates, long Hot)>> CountersAsync(
        string database, Func<Dictionary<string, (long Updates, long Hot)>, bool> until)
    {
        for (var attempt = 0; ; attempt++)
        {
            // Polled until the visits show: busy backends report about once a second.
            await Task.Delay(TimeSpan.FromMilliseconds(250));
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = ANY($1)", connection);
            command.Parameters.Add(new() { Value = VisitTables });
            var now = VisitTables.ToDictionary(t => t, _ => (0L, 0L));
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    now[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
                }
            }

            if (until(now))
            {
                return now;
            }

            Assert.True(attempt < 240, "the table statistics never showed the visits: " + string.Join(", ", now.Select(t => $"{t.Key} {t.Value.Item1} updates, {t.Value.Item2} HOT")));
        }
    }
}
