using Microsoft.Extensions.Logging;
using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// Applies the SQL files in <c>Storage/Migrations</c>, in name order. Every file is idempotent,
/// and the whole run holds a transaction-scoped advisory lock, so any number of silos may run it
/// at once on every start.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    // An arbitrary constant shared by every process that migrates this database.
    private const long MigrationLockKey = 0x0BA11_5C4E3A;

    public static IReadOnlyList<(string Name, string Sql)> Scripts { get; } = SqlQueries.Migrations();

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue(MigrationLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (name, sql) in Scripts)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            logger.LogDebug("Applied migration {Migration}", name);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Database schema is up to date ({Count} migrations)", Scripts.Count);
    }
}
