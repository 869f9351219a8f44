using Npgsql;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// PostgreSQL's cumulative statistics (<c>pg_stat_user_tables</c>, <c>pg_stat_database</c>) as they
/// stand once every backend that served a database has reported. A busy backend reports about once
/// a second, an idle one only after 10 s, and every backend when it exits: so this closes the test
/// process's pooled connections (those of <see cref="NpgsqlConnection"/>, Orleans' membership among
/// them, and of the data sources given, the site's storage) and waits for their backends to end,
/// instead of sleeping 11 s. Only for tests that run alone (<see cref="RunsAlone"/>): it closes
/// every pool of the process.
/// </summary>
public static class DatabaseStatistics
{
    public static async Task<long> SettledAsync(string database, string scalarQuery, params NpgsqlDataSource[] pools)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var others = await OtherBackendsAsync(connection);
        NpgsqlConnection.ClearAllPools();
        foreach (var pool in pools)
        {
            pool.Clear();
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await OtherBackendsAsync(connection)).Overlaps(others))
        {
            // A backend still in use (a pooled connection checked out now) closes when it is returned.
            Assert.True(DateTime.UtcNow < deadline, "the database's backends did not end within 20 s (a pool this did not clear?)");
            await Task.Delay(50);
        }

        // A backend leaves pg_stat_activity just before it writes its last statistics: read until
        // two reads a moment apart agree.
        var value = await ScalarAsync(connection, scalarQuery);
        while (true)
        {
            await Task.Delay(100);
            var again = await ScalarAsync(connection, scalarQuery);
            if (again == value)
            {
                return value;
            }

            value = again;
        }
    }

    private static async Task<HashSet<int>> OtherBackendsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", connection);
        var pids = new HashSet<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            pids.Add(reader.GetInt32(0));
        }

        return pids;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string query)
    {
        await using var command = new NpgsqlCommand(query, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
