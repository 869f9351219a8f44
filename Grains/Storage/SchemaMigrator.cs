using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Registry;

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
public sealed class SchemaMigrator
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

    private readonly NpgsqlDataSource _dataSource;
    private readonly ResiliencePipeline _firstConnection;
    private readonly TimeProvider _clock;
    private readonly ILogger<SchemaMigrator> _logger;

    /// <summary>As the container builds it: the first connection through <see cref="DatabaseRetries.FirstConnection"/>, with its telemetry.</summary>
    public SchemaMigrator(NpgsqlDataSource dataSource, ResiliencePipelineProvider<string> pipelines, TimeProvider clock, ILogger<SchemaMigrator> logger)
        : this(dataSource, pipelines.GetPipeline(DatabaseRetries.FirstConnection), clock, logger)
    {
    }

    /// <summary>Made by hand (tests, tools without a container): the same retry, without Polly's telemetry.</summary>
    public SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
        : this(dataSource, new ResiliencePipelineBuilder().AddFirstConnectionRetry(logger, TimeProvider.System).Build(), TimeProvider.System, logger)
    {
    }

    private SchemaMigrator(NpgsqlDataSource dataSource, ResiliencePipeline firstConnection, TimeProvider clock, ILogger<SchemaMigrator> logger)
    {
        _dataSource = dataSource;
        _firstConnection = firstConnection;
        _clock = clock;
        _logger = logger;
    }

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenPatientlyAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", cancellationToken, MigrationLockKey);
        await ExecuteAsync(connection, BookkeepingSql, cancellationToken);

        var applied = await ReadAsync(connection, "SELECT version::text, name FROM ball_schema_version", cancellationToken);
        var migrated = new List<string>();
        foreach (var (version, name, sql) in Migrations)
        {
            if (applied.ContainsKey(version.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                continue;
            }

            await ExecuteAsync(connection, sql, cancellationToken);
            await ExecuteAsync(connection, "INSERT INTO ball_schema_version (version, name) VALUES ($1, $2)", cancellationToken, version, name);
            // Debug: a fresh database applies every migration, and the summary below names them in one line.
            _logger.LogDebug("Applied migration {Migration}", name);
            migrated.Add(name);
        }

        var hashes = await ReadAsync(connection, "SELECT name, sha256 FROM ball_schema_script", cancellationToken);
        var replaced = 0;
        foreach (var (name, sql) in Functions)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            if (migrated.Count == 0 && hashes.GetValueOrDefault(name) == hash)
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
        _logger.LogInformation(
            "Database schema is up to date (version {Version}); applied now: migrations {Migrations}, {Replaced} scripts",
            Migrations[^1].Version, migrated.Count == 0 ? "none" : string.Join(", ", migrated), replaced);
    }

    private static int VersionOf(string name) =>
        int.TryParse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InvalidOperationException($"migration '{name}' does not start with its number (NNN_name.sql)");

    /// <summary>
    /// The first connection of a starting process, tried again for up to
    /// <see cref="DatabaseRetries.StartupPatience"/> (<see cref="DatabaseRetries.AddFirstConnectionRetry"/> says why).
    /// </summary>
    private Task<NpgsqlConnection> OpenPatientlyAsync(CancellationToken cancellationToken) =>
        _firstConnection.RunAsync(_clock, "first connection", token => _dataSource.OpenConnectionAsync(token).AsTask(), cancellationToken);

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
