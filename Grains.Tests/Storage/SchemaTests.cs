using BallOrleans.Grains.Storage;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BallOrleans.Tests.Storage;

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
        var database = await postgres.CreateDatabaseAsync("migrations");

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
        var database = await postgres.CreateDatabaseAsync("parallelfresh");

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => MigrateAsync(database)));

        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM pg_tables WHERE tablename IN ('ball_grain_state', 'ball_membership', 'ball_membership_version', 'orleansquery')");
        Assert.Equal(4L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Each_migration_is_applied_once_and_recorded()
    {
        var database = await postgres.CreateDatabaseAsync("versions");
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
        var database = await postgres.CreateDatabaseAsync("nolock");
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

    private static async Task MigrateAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
    }
}
