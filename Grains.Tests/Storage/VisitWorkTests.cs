using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Stats;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>What a returning visit costs PostgreSQL in rows: every update it makes is HOT (issue 19).</summary>
[Collection(PostgresCollection.Name)]
public sealed class VisitWorkTests(PostgresServer postgres)
{
    private static readonly string[] VisitTables = ["ball_grain_state", "ball_report_totals", "ball_stats_daily", "ball_visits_per_minute"];

    [Fact]
    public async Task At_least_nine_in_ten_updates_of_every_table_a_visit_touches_are_HOT()
    {
        var database = await postgres.CreateDatabaseAsync("hot");
        await using var cluster = await TestClusters.StartAsync(database);
        var ids = await StoredVisitors.LoadAsync(cluster.Client, visitors: 200, seed: 3);
        var before = await WaitForQuietAsync(database);

        for (var round = 0; round < 15; round++)
        {
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (id, _) =>
                Assert.NotNull((await cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(firstVisit: false, Guid.CreateVersion7())).View));
        }

        var after = await WaitForQuietAsync(database);
        var visitorUpdates = after["ball_grain_state"].Updates - before["ball_grain_state"].Updates;
        Assert.True(visitorUpdates >= 15 * 200, $"only {visitorUpdates} visitor row updates counted");
        foreach (var table in VisitTables)
        {
            var updates = after[table].Updates - before[table].Updates;
            var hot = after[table].Hot - before[table].Hot;
            Assert.True(updates > 0, $"{table}: no updates");
            Assert.True(hot >= 0.9 * updates, $"{table}: {hot} of {updates} updates were HOT");
        }
    }

    /// <summary>
    /// Each table's update counters once they stop moving: backends report their counts to the
    /// statistics a second or so after they go idle.
    /// </summary>
    private static async Task<Dictionary<string, (long Updates, long Hot)>> WaitForQuietAsync(string database)
    {
        Dictionary<string, (long Updates, long Hot)>? last = null;
        for (var attempt = 0; attempt < 40; attempt++)
        {
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

            if (last is not null && last.All(kv => now[kv.Key] == kv.Value))
            {
                return now;
            }

            last = now;
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        }

        throw new TimeoutException("the table statistics never settled");
    }
}
