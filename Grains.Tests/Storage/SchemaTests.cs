using BallOrleans.Grains.Storage;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BallOrleans.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class SchemaTests(PostgresServer postgres)
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

    private static async Task MigrateAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
    }
}
