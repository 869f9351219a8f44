using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// A site started as the runtime role never migrates: on a database without this build's schema it
/// refuses to start, in one log line that says what to run, and attempts no DDL; on the schema of
/// its own release or of the next one it serves.
/// </summary>
public sealed class SchemaVersionGateTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_site_on_an_unmigrated_database_refuses_in_one_line_and_attempts_no_ddl()
    {
        var owner = await postgres.CreateEmptyDatabaseAsync("gate_unmigrated");
        await CountDdlAttemptsAsync(owner);

        var refusal = await RefusalAsync(postgres.AsRuntime(owner));

        Assert.Contains("no schema yet", refusal);
        Assert.Contains("`migrate`", refusal);
        Assert.Equal(0L, await DdlAttemptsAsync(owner));
        Assert.Equal(0L, await ScalarAsync(owner, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname LIKE 'ball%'"));

        // The control: a DDL statement the runtime role sends, refused, is counted.
        await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(postgres.AsRuntime(owner), "CREATE TABLE ball_probe (id integer)"));
        Assert.Equal(1L, await DdlAttemptsAsync(owner));
    }

    [Fact]
    public async Task A_site_on_a_schema_that_lacks_one_of_its_migrations_refuses_and_attempts_no_ddl()
    {
        var database = await postgres.CreateDatabaseAsync("gate_older_migrations");
        var owner = postgres.AsOwner(database);
        var last = SchemaMigrator.Migrations[^1];
        // As the previous release left it: its last migration not applied yet.
        await ScalarAsync(owner, $"DELETE FROM ball_schema_version WHERE version = {last.Version}");
        await CountDdlAttemptsAsync(owner);

        var refusal = await RefusalAsync(database);

        Assert.Contains("older than this build", refusal);
        Assert.Contains($"migrations {last.Version} not applied", refusal);
        Assert.Equal(0L, await DdlAttemptsAsync(owner));
    }

    [Theory]
    [InlineData(-1, "older than this build")]
    [InlineData(SchemaCompatibility.ReleasesAhead + 1, "newer than this build")]
    public async Task A_site_refuses_functions_older_than_its_own_or_more_than_one_release_newer(int releasesAhead, string said)
    {
        var database = await postgres.CreateDatabaseAsync("gate_release");
        var owner = postgres.AsOwner(database);
        await ScalarAsync(owner, $"UPDATE ball_schema_release SET functions = {SchemaMigrator.FunctionsRelease + releasesAhead}");
        await CountDdlAttemptsAsync(owner);

        var refusal = await RefusalAsync(database);

        Assert.Contains(said, refusal);
        Assert.Equal(0L, await DdlAttemptsAsync(owner));
    }

    [Fact]
    public async Task A_site_serves_from_the_next_releases_functions_as_in_a_rolling_deploy()
    {
        var database = await postgres.CreateDatabaseAsync("gate_next_release");
        await ScalarAsync(postgres.AsOwner(database), $"UPDATE ball_schema_release SET functions = {SchemaMigrator.FunctionsRelease + SchemaCompatibility.ReleasesAhead}");

        await using var app = new BallWebApp(database);
        using var page = await app.CreateCookielessClient().GetAsync("/");

        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
    }

    /// <summary>
    /// Starts the site as the runtime role, which must fail, and returns the one line (of the
    /// simple console format) that says why, after checking that it is the only one about it and
    /// that no line carries the exception's stack.
    /// </summary>
    private static async Task<string> RefusalAsync(string runtime)
    {
        var rendered = new RenderedLogs();
        var app = new BallWebApp(runtime,
            services: s => s.AddSingleton<ILoggerProvider>(sp => new RenderedLogs.Provider(rendered, sp.GetServices<ConsoleFormatter>())));
        // The entry point catches the refusal and exits (code 3), so the test host sees a host
        // that is gone rather than the exception itself.
        Assert.ThrowsAny<Exception>(() => app.CreateCookielessClient());
        var lines = rendered.Lines;
        try
        {
            await app.DisposeAsync();
        }
        catch (Exception)
        {
            // Disposing stops the host, and Orleans throws when asked to stop a silo whose start
            // never began; there is nothing of it to clean up.
        }

        Assert.DoesNotContain(lines, l => l.Contains(nameof(SchemaVersionException), StringComparison.Ordinal));
        return Assert.Single(lines, l => l.StartsWith("simple", StringComparison.Ordinal) && l.Contains("Refusing to start", StringComparison.Ordinal));
    }

    /// <summary>
    /// Counts every DDL statement begun in the database, whoever sends it and whether or not it
    /// is then refused: an event trigger (the superuser's) bumps a sequence, which no rollback undoes.
    /// </summary>
    private async Task CountDdlAttemptsAsync(string owner)
    {
        await ScalarAsync(postgres.AsSuperuser(owner), """
            CREATE SEQUENCE test_ddl_attempts;
            GRANT USAGE ON SEQUENCE test_ddl_attempts TO PUBLIC;
            CREATE FUNCTION test_count_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER AS $f$
            BEGIN PERFORM nextval('test_ddl_attempts'); END $f$;
            CREATE EVENT TRIGGER test_count_ddl ON ddl_command_start EXECUTE FUNCTION test_count_ddl();
            """);
    }

    private async Task<long> DdlAttemptsAsync(string owner) =>
        await ScalarAsync(postgres.AsSuperuser(owner), "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM test_ddl_attempts");

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
    }
}
