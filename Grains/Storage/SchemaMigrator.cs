using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// Brings the database's schema up to date, at every silo start and by the <c>migrate</c> command.
/// <list type="bullet">
/// <item><c>Storage/Migrations/NNN_*.sql</c> change tables: each runs once, in order, and is
/// recorded in <c>ball_schema_version</c>. A change is a new file; an applied file is never edited.</item>
/// <item><c>Storage/Functions/*.sql</c> are <c>CREATE OR REPLACE</c> scripts (functions, the ADO.NET
/// providers' queries): each runs again when its text changed (<c>ball_schema_script</c> keeps its hash),
/// or after a migration.</item>
/// </list>
/// Written here rather than taken from a migration library (DbUp, Evolve): neither restores from
/// the package mirror this project builds from, and the whole job is two tables and a loop.
/// The run holds a transaction-scoped advisory lock, so silos starting together apply each
/// change once; a run with nothing to apply reads the two tables and takes no other lock, so a
/// starting silo never waits for visits, nor visits for it.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    // An arbitrary constant shared by every process that migrates this database.
    private const long MigrationLockKey = 0x0BA11_5C4E3A;

    private const string BookkeepingSql = """
        CREATE TABLE IF NOT EXISTS ball_schema_version (
            version    integer     PRIMARY KEY,
            name       text        NOT NULL,
            applied_on timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS ball_schema_script (
            name       text        PRIMARY KEY,
            sha256     text        NOT NULL,
            applied_on timestamptz NOT NULL DEFAULT now());
        """;

    /// <summary>The table migrations, in order.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } =
        SqlQueries.Embedded("Migrations/").Select(m => (VersionOf(m.Name), m.Name, m.Sql)).ToList();

    /// <summary>The re-runnable scripts, in name order.</summary>
    public static IReadOnlyList<(string Name, string Sql)> Functions { get; } = SqlQueries.Embedded("Functions/");

    /// <summary>How long a starting process waits for its database to take a connection.</summary>
    private static readonly TimeSpan StartupPatience = TimeSpan.FromSeconds(30);

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenPatientlyAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", cancellationToken, MigrationLockKey);
        await ExecuteAsync(connection, BookkeepingSql, cancellationToken);

        var applied = await ReadAsync(connection, "SELECT version::text, name FROM ball_schema_version", cancellationToken);
        var migrated = 0;
        foreach (var (version, name, sql) in Migrations)
        {
            if (applied.ContainsKey(version.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                continue;
            }

            await ExecuteAsync(connection, sql, cancellationToken);
            await ExecuteAsync(connection, "INSERT INTO ball_schema_version (version, name) VALUES ($1, $2)", cancellationToken, version, name);
            logger.LogInformation("Applied migration {Migration}", name);
            migrated++;
        }

        var hashes = await ReadAsync(connection, "SELECT name, sha256 FROM ball_schema_script", cancellationToken);
        var replaced = 0;
        foreach (var (name, sql) in Functions)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            if (migrated == 0 && hashes.GetValueOrDefault(name) == hash)
            {
                continue;
            }

            await ExecuteAsync(connection, sql, cancellationToken);
            await ExecuteAsync(connection, """
                INSERT INTO ball_schema_script (name, sha256) VALUES ($1, $2)
                ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, applied_on = now()
                """, cancellationToken, name, hash);
            replaced++;
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation(
            "Database schema is up to date (version {Version}; {Migrated} migrations and {Replaced} scripts applied now)",
            Migrations[^1].Version, migrated, replaced);
    }

    private static int VersionOf(string name) =>
        int.TryParse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InvalidOperationException($"migration '{name}' does not start with its number (NNN_name.sql)");

    /// <summary>
    /// The first connection of a starting process, tried again for up to <see cref="StartupPatience"/>:
    /// the connect timeout is short so that visits fail fast, but a process that starts beside its
    /// database (or on a busy machine) should wait for it rather than exit.
    /// </summary>
    private async Task<NpgsqlConnection> OpenPatientlyAsync(CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await dataSource.OpenConnectionAsync(cancellationToken);
            }
            catch (NpgsqlException ex) when (IsTransient(ex) && waited.Elapsed + pause < StartupPatience)
            {
                logger.LogWarning("Database not reachable yet ({Reason}); trying again in {Pause} ms", ex.Message, pause.TotalMilliseconds);
                // Several hosts: each that failed is skipped as offline for Host Recheck Seconds,
                // longer than the pause, and the next try would find no host at all to try.
                (dataSource as NpgsqlMultiHostDataSource)?.ClearDatabaseStates();
                await Task.Delay(pause, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>
    /// Whether trying again may help. A connection string of several hosts (the HA test cluster's)
    /// fails with one exception for all of them, whose inner AggregateException holds each host's;
    /// Npgsql does not call that transient, although each host's failure (a timeout of its 1 s
    /// budget, a refused connection) is. It is when every one of them is.
    /// </summary>
    internal static bool IsTransient(NpgsqlException exception) =>
        exception.IsTransient
        || exception.InnerException is AggregateException { InnerExceptions: { Count: > 0 } each }
            && each.All(e => e is NpgsqlException { IsTransient: true } or TimeoutException or IOException or System.Net.Sockets.SocketException);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        // Joins the connection's open transaction (Npgsql enlists commands in it).
        // No command timeout: a migration may rewrite a large table, and stopping it halfway
        // helps no one (it runs in one transaction, so a stop leaves nothing behind but the wait).
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var value in parameters)
        {
            command.Parameters.Add(new() { Value = value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Dictionary<string, string>> ReadAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetString(0)] = reader.GetString(1);
        }

        return rows;
    }
}
