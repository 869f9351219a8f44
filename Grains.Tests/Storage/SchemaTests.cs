using BallOrleans.Grains.Storage;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// The migrator's own tests. They act as the schema's owner throughout, as <c>migrate</c> does,
/// on databases that start empty: the runtime role may not migrate (<see cref="RuntimeRoleTests"/>).
/// </summary>
public sealed class SchemaTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly string[] QueryKeys =
    [
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey",
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
    ];

    [Fact]
    public async Task Migrations_run_twice_and_concurrently_without_error()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("migrations");

        await MigrateAsync(database);
        await MigrateAsync(database);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => MigrateAsync(database)));

        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand("SELECT QueryKey FROM OrleansQuery");
        var keys = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.Equal(QueryKeys.Order(), keys.Order());
    }

    [Fact]
    public async Task Migrations_start_from_an_empty_database_in_parallel()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("parallelfresh");

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => MigrateAsync(database)));

        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('ball_grain_state', 'ball_membership', 'ball_membership_version', 'orleansquery')");
        Assert.Equal(4L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Each_migration_is_applied_once_and_recorded()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("versions");
        await MigrateAsync(database);
        await MigrateAsync(database);

        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand("SELECT string_agg(version || ' ' || name, ';' ORDER BY version) FROM ball_schema_version");
        Assert.Equal(
            string.Join(';', SchemaMigrator.Migrations.Select(m => $"{m.Version} {m.Name}")),
            await command.ExecuteScalarAsync());
        Assert.Equal([1, 2, 3, 4], SchemaMigrator.Migrations.Take(4).Select(m => m.Version));
    }

    [Fact]
    public async Task A_start_with_nothing_to_apply_does_not_wait_for_an_open_visit_transaction()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("nolock");
        await MigrateAsync(database);
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO ball_grain_state (service_id, state_name, grain_key, key_n0, key_n1, payload, version) VALUES ('s', 'other', 'k', 0, 0, NULL, 1)"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        // A visit's transaction, open: it holds ROW EXCLUSIVE on ball_grain_state (and a row
        // lock), which CREATE INDEX IF NOT EXISTS or ALTER TABLE would have to wait for.
        await using var visit = await dataSource.OpenConnectionAsync();
        await using var transaction = await visit.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE ball_grain_state SET version = version + 1 WHERE grain_key = 'k'", visit, transaction))
        {
            await update.ExecuteNonQueryAsync();
        }

        // Were the migration to wait on a lock, it would wait for this transaction: forever.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var migrating = NpgsqlDataSource.Create(database);
        await new SchemaMigrator(migrating, NullLogger<SchemaMigrator>.Instance).MigrateAsync(patience.Token);
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task Migrators_racing_under_a_repeatable_read_default_apply_each_migration_once()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("repeatable");
        var name = new NpgsqlConnectionStringBuilder(database).Database;
        await ExecuteAsync(postgres.AdminConnectionString, $"ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'repeatable read'");

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => MigrateAsync(database)));

        Assert.Equal(
            (long)SchemaMigrator.Migrations.Count,
            await ScalarAsync(database, "SELECT count(*) FROM ball_schema_version WHERE sha256 IS NOT NULL"));
    }

    [Fact]
    public async Task An_applied_migration_that_differs_from_the_builds_stops_the_start_saying_which()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("edited");
        await MigrateAsync(database);
        await ExecuteAsync(database, "UPDATE ball_schema_version SET sha256 = repeat('0', 64) WHERE version = 3");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => MigrateAsync(database));

        Assert.Contains(SchemaMigrator.Migrations[2].Name, refused.Message);
        Assert.Contains("new numbered migration", refused.Message);
    }

    [Fact]
    public async Task A_database_migrated_before_hashes_were_kept_takes_this_builds_hashes()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("unhashed");
        await MigrateAsync(database);
        await ExecuteAsync(database, "UPDATE ball_schema_version SET sha256 = NULL");

        await MigrateAsync(database);

        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM ball_schema_version WHERE sha256 IS NULL"));
        await MigrateAsync(database); // and the next start checks them
    }

    [Fact]
    public async Task A_build_older_than_the_databases_functions_installs_nothing()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("newer");
        await MigrateAsync(database);
        // As a newer release would leave it: a function of its own text, and its release number.
        await ExecuteAsync(database, "CREATE OR REPLACE FUNCTION ball_day(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $f$ SELECT DATE '2000-01-01' $f$");
        await ExecuteAsync(database, "DELETE FROM ball_schema_script");
        await ExecuteAsync(database, $"UPDATE ball_schema_release SET functions = {SchemaMigrator.FunctionsRelease + 1}");

        await MigrateAsync(database);

        Assert.Equal("2000-01-01", await QueryAsync(database, "SELECT ball_day(now())::text"));
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM ball_schema_script"));

        // The control: at the build's own release, the same database gets this build's functions back.
        await ExecuteAsync(database, $"UPDATE ball_schema_release SET functions = {SchemaMigrator.FunctionsRelease}");
        await MigrateAsync(database);
        Assert.NotEqual("2000-01-01", await QueryAsync(database, "SELECT ball_day(now())::text"));
    }

    [Fact]
    public async Task A_migration_that_needs_a_table_visits_hold_gives_way_to_them_and_is_applied_once_they_let_go()
    {
        var database = await postgres.CreateEmptyDatabaseAsync("giveway");
        await MigrateAsync(database);
        await ExecuteAsync(database,
            "INSERT INTO ball_grain_state (service_id, state_name, grain_key, key_n0, key_n1, payload, version) VALUES ('s', 'other', 'a', 0, 0, NULL, 1), ('s', 'other', 'b', 0, 0, NULL, 1)");
        await using var dataSource = NpgsqlDataSource.Create(database);

        // A long visit transaction holds ROW EXCLUSIVE on the table (and row a).
        await using var longVisit = await dataSource.OpenConnectionAsync();
        await using var open = await longVisit.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE ball_grain_state SET version = version + 1 WHERE grain_key = 'a'", longVisit, open))
        {
            await update.ExecuteNonQueryAsync();
        }

        // A release's migration that needs ACCESS EXCLUSIVE on the visitor table.
        await using var migrating = NpgsqlDataSource.Create(database);
        var migrator = new SchemaMigrator(migrating, NullLogger<SchemaMigrator>.Instance)
            .WithExtraMigrations((999, "999_test_column.sql", "ALTER TABLE ball_grain_state ADD COLUMN test_extra integer"));
        var migration = migrator.MigrateAsync();
        await Task.Delay(SchemaMigrator.LockTimeout / 2); // its ALTER is queued on the lock by now

        // Other visits go on: a queued ALTER would hold them all behind it until the long visit ends.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        await using (var other = dataSource.CreateCommand("UPDATE ball_grain_state SET version = version + 1 WHERE grain_key = 'b'"))
        {
            other.CommandTimeout = 10;
            await other.ExecuteNonQueryAsync();
        }

        Assert.True(waited.Elapsed < SchemaMigrator.LockTimeout * 2.5, $"a visit waited {waited.Elapsed.TotalMilliseconds:F0} ms behind the migration");
        Assert.False(migration.IsCompleted, "the migration cannot have taken its lock while the long visit holds the table");

        await open.CommitAsync();
        await migration.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'ball_grain_state' AND column_name = 'test_extra'"));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM ball_schema_version WHERE version = 999"));
    }

    private static async Task ExecuteAsync(string connectionString, string sql) => await QueryAsync(connectionString, sql);

    private static async Task<long> ScalarAsync(string connectionString, string sql) => Convert.ToInt64(await QueryAsync(connectionString, sql));

    private static async Task<object?> QueryAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    private static async Task MigrateAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
    }
}
