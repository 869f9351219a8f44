using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Registry;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// Brings the database's schema up to date: the <c>migrate</c> command, run as the migration role
/// (the schema's owner), is the only caller. Silos and web tiers never migrate; they check the
/// recorded version at start (<see cref="SchemaCompatibility"/>).
/// <list type="bullet">
/// <item><c>Storage/Migrations/NNN_*.sql</c> change tables: each runs once, in order, and is
/// recorded in <c>ball_schema_version</c>. A change is a new file; an applied file is never edited.</item>
/// <item><c>Storage/Functions/*.sql</c> are <c>CREATE OR REPLACE</c> scripts (functions, the ADO.NET
/// providers' queries): each runs again when its text changed (<c>ball_schema_script</c> keeps its hash),
/// or after a migration.</item>
/// <item><c>Storage/Grants/runtime.sql</c> gives the runtime role <c>ball_runtime</c> exactly its
/// privileges, after anything else was applied or when its own text changed.</item>
/// </list>
/// Written here rather than taken from a migration library (DbUp, Evolve): neither restores from
/// the package mirror this project builds from, and the whole job is three tables and a loop.
/// Upgrades and rollbacks: each applied migration's text is checked against this build's (an edited
/// released migration stops the start with a clear error), and the function scripts carry a
/// release number (<see cref="FunctionsRelease"/>): a build older than what the database holds
/// installs nothing, so a rollback or a rolling deploy never puts old functions back over new ones.
/// The run holds a transaction-scoped advisory lock, so silos starting together apply each
/// change once; a run with nothing to apply reads the two tables and takes no other lock, so a
/// starting silo never waits for visits, nor visits for it.
/// </summary>
public sealed class SchemaMigrator
{
    // An arbitrary constant shared by every process that migrates this database.
    private const long MigrationLockKey = 0x0BA11_5C4E3A;

    /// <summary>
    /// The release of <c>Storage/Functions/*.sql</c> this build carries: one more whenever their text
    /// changes (a unit test pins the scripts' hash beside this number, so a change cannot ship
    /// without it). The database keeps the highest release installed, and a build with a lower one
    /// leaves the functions alone.
    /// </summary>
    public const int FunctionsRelease = 2;

    private const string BookkeepingSql = """
        CREATE TABLE IF NOT EXISTS ball_schema_version (
            version    integer     PRIMARY KEY,
            name       text        NOT NULL,
            applied_on timestamptz NOT NULL DEFAULT now());
        ALTER TABLE ball_schema_version ADD COLUMN IF NOT EXISTS sha256 text;
        CREATE TABLE IF NOT EXISTS ball_schema_script (
            name       text        PRIMARY KEY,
            sha256     text        NOT NULL,
            applied_on timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS ball_schema_release (
            one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
            functions  integer     NOT NULL);
        """;

    /// <summary>The table migrations, in order.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } =
        SqlQueries.Embedded("Migrations/").Select(m => (VersionOf(m.Name), m.Name, m.Sql)).ToList();

    /// <summary>The re-runnable scripts, in name order.</summary>
    public static IReadOnlyList<(string Name, string Sql)> Functions { get; } = SqlQueries.Embedded("Functions/");

    /// <summary>The runtime role's grants, applied last (<c>Storage/Grants/runtime.sql</c>).</summary>
    public static (string Name, string Sql) RuntimeGrants { get; } =
        SqlQueries.Embedded("Grants/").Select(g => ("grants/" + g.Name, g.Sql)).Single();

    /// <summary>The role the grants name: silos and web tiers log in as it (or as a member of it).</summary>
    public const string RuntimeRole = "ball_runtime";

    /// <summary>How long one statement of a migration waits for a table lock before the run gives way and tries again.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ResiliencePipeline _firstConnection;
    private readonly ResiliencePipeline _lockRetry;
    private IReadOnlyList<(int Version, string Name, string Sql)> _migrations = Migrations;
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
        _lockRetry = new ResiliencePipelineBuilder().AddMigrationLockRetry(logger, clock).Build();
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The same migrator with more migrations after this build's: for tests of how a migration meets live tables.</summary>
    internal SchemaMigrator WithExtraMigrations(params (int Version, string Name, string Sql)[] extra)
    {
        _migrations = [.. Migrations, .. extra];
        return this;
    }

    public Task MigrateAsync(CancellationToken cancellationToken = default) =>
        _lockRetry.RunAsync(_clock, "migration", async token =>
        {
            await MigrateOnceAsync(token);
            return true;
        }, cancellationToken);

    private async Task MigrateOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenPatientlyAsync(cancellationToken);
        // READ COMMITTED whatever the database's default: under REPEATABLE READ the snapshot would be
        // taken before the advisory lock is granted, and a second migrator would not see what the
        // first applied while it waited. (Npgsql already begins READ COMMITTED when no level is
        // given; said here so that no later change of driver or default can undo it.)
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", cancellationToken, MigrationLockKey);
        // Set after the advisory lock, which other migrators may hold for as long as they need: a
        // table lock that visits hold is given up after LockTimeout and the run tried again (see
        // DatabaseRetries.AddMigrationLockRetry), so visits never queue behind a waiting migration.
        await ExecuteAsync(connection, $"SET LOCAL lock_timeout = '{(int)LockTimeout.TotalMilliseconds}ms'", cancellationToken);
        await ExecuteAsync(connection, BookkeepingSql, cancellationToken);
        await RequireRuntimeRoleAsync(connection, cancellationToken);

        var applied = await ReadAsync(connection, "SELECT version::text, coalesce(sha256, '') FROM ball_schema_version", cancellationToken);
        var migrated = new List<string>();
        foreach (var (version, name, sql) in _migrations)
        {
            var hash = Sha256(sql);
            if (applied.TryGetValue(version.ToString(System.Globalization.CultureInfo.InvariantCulture), out var appliedHash))
            {
                if (appliedHash.Length == 0)
                {
                    // Applied before hashes were kept: this build's text is taken as what was applied.
                    await ExecuteAsync(connection, "UPDATE ball_schema_version SET sha256 = $2 WHERE version = $1", cancellationToken, version, hash);
                }
                else if (appliedHash != hash)
                {
                    throw new InvalidOperationException(
                        $"migration {name} as applied to this database differs from this build's (sha256 {appliedHash[..12]}… there, {hash[..12]}… here): " +
                        "a released migration was edited; restore it and put the change in a new numbered migration");
                }

                continue;
            }

            await ExecuteAsync(connection, sql, cancellationToken);
            await ExecuteAsync(connection, "INSERT INTO ball_schema_version (version, name, sha256) VALUES ($1, $2, $3)", cancellationToken, version, name, hash);
            // Debug: a fresh database applies every migration, and the summary below names them in one line.
            _logger.LogDebug("Applied migration {Migration}", name);
            migrated.Add(name);
        }

        var installed = await ReadAsync(connection, "SELECT 'release', functions::text FROM ball_schema_release", cancellationToken);
        var installedRelease = installed.TryGetValue("release", out var release) ? int.Parse(release, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (installedRelease > FunctionsRelease)
        {
            await transaction.CommitAsync(cancellationToken);
            _logger.LogWarning(
                "Database functions are release {Installed}, newer than this build's {Release}: left as they are (this build serves with them or its visits fail; it installs nothing)",
                installedRelease, FunctionsRelease);
            return;
        }

        var hashes = await ReadAsync(connection, "SELECT name, sha256 FROM ball_schema_script", cancellationToken);
        var replaced = 0;
        foreach (var (name, sql) in Functions)
        {
            var hash = Sha256(sql);
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

        // After the functions, so that every one of them exists to be granted; again whenever
        // anything changed, since a table or function made now starts with no grants.
        var (grantsName, grantsSql) = RuntimeGrants;
        var grantsHash = Sha256(grantsSql);
        if (migrated.Count > 0 || replaced > 0 || hashes.GetValueOrDefault(grantsName) != grantsHash)
        {
            await ExecuteAsync(connection, grantsSql, cancellationToken);
            await ExecuteAsync(connection, """
                INSERT INTO ball_schema_script (name, sha256) VALUES ($1, $2)
                ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, applied_on = now()
                """, cancellationToken, grantsName, grantsHash);
            replaced++;
        }

        await ExecuteAsync(connection, """
            INSERT INTO ball_schema_release (one, functions) VALUES (true, $1)
            ON CONFLICT (one) DO UPDATE SET functions = excluded.functions
            """, cancellationToken, FunctionsRelease);
        await transaction.CommitAsync(cancellationToken);
        _logger.LogInformation(
            "Database schema is up to date (version {Version}); applied now: migrations {Migrations}, {Replaced} scripts",
            _migrations[^1].Version, migrated.Count == 0 ? "none" : string.Join(", ", migrated), replaced);
    }

    /// <summary>
    /// The grants name <see cref="RuntimeRole"/>, and creating a role is the server administrator's
    /// job, not the schema owner's (who has no CREATEROLE): without it, say so before anything runs.
    /// </summary>
    private static async Task RequireRuntimeRoleAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var exists = await ReadAsync(connection, $"SELECT 'role', (to_regrole('{RuntimeRole}') IS NOT NULL)::text", cancellationToken);
        if (exists["role"] != "true")
        {
            throw new InvalidOperationException(
                $"role {RuntimeRole} does not exist: as the server's administrator, CREATE ROLE {RuntimeRole} LOGIN PASSWORD '...' " +
                "(the silos' and web tiers' login), then migrate again (docs/operations.md#database-roles)");
        }
    }

    /// <summary>The function scripts' hash as a whole (name and hash of each, in order): what <see cref="FunctionsRelease"/> numbers.</summary>
    public static string FunctionsHash => Sha256(string.Join("\n", Functions.Select(f => $"{f.Name} {Sha256(f.Sql)}")));

    /// <summary>A script's hash, line endings aside (a checkout may turn LF into CRLF).</summary>
    public static string Sha256(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));

    private static int VersionOf(string name) =>
        int.TryParse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InvalidOperationException($"migration '{name}' does not start with its number (NNN_name.sql)");

    private Task<NpgsqlConnection> OpenPatientlyAsync(CancellationToken cancellationToken) =>
        _firstConnection.OpenFirstConnectionAsync(_dataSource, _clock, cancellationToken);

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
