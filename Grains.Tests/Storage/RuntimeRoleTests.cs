using BallOrleans.Grains.Storage;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// The runtime role <c>ball_runtime</c>, what silos and web tiers log in as, has exactly the
/// privileges docs/operations.md lists (Database roles), as PostgreSQL itself reports them, and
/// none of the owner's powers. The privileges are read as the schema's owner, who may ask about
/// any role; the refusals are tried as the runtime role itself.
/// </summary>
public sealed class RuntimeRoleTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string Marker = "<!-- runtime-privileges:";

    // Every privilege PostgreSQL knows for each kind of object: whatever the role holds beyond the
    // list, PUBLIC's defaults and inherited ones included, shows up here.
    private const string EffectivePrivilegesSql = """
        SELECT 'database', '(its own)', p FROM unnest(ARRAY['CREATE', 'CONNECT', 'TEMPORARY']) p
        WHERE has_database_privilege($1, current_database(), p)
        UNION ALL
        SELECT 'schema', n.nspname, p FROM pg_namespace n, unnest(ARRAY['CREATE', 'USAGE']) p
        WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema' AND has_schema_privilege($1, n.oid, p)
        UNION ALL
        SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END, c.relname, p
        FROM pg_class c, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND has_table_privilege($1, c.oid, p)
        UNION ALL
        SELECT 'sequence', c.relname, p FROM pg_class c, unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) p
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND has_sequence_privilege($1, c.oid, p)
        UNION ALL
        SELECT 'function', f.proname, 'EXECUTE' FROM pg_proc f
        WHERE f.pronamespace = 'public'::regnamespace AND has_function_privilege($1, f.oid, 'EXECUTE')
        """;

    [Fact]
    public async Task The_runtime_role_has_exactly_the_documented_privileges()
    {
        var database = await postgres.CreateDatabaseAsync("runtime_privileges");
        var documented = DocumentedPrivileges();

        var effective = new SortedSet<string>(StringComparer.Ordinal);
        await using var owner = NpgsqlDataSource.Create(postgres.AsOwner(database));
        await using (var command = owner.CreateCommand(EffectivePrivilegesSql))
        {
            command.Parameters.Add(new() { Value = SchemaMigrator.RuntimeRole });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                effective.Add($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)}");
            }
        }

        Assert.Equal(documented, effective);
    }

    [Fact]
    public async Task The_runtime_role_is_no_superuser_owns_nothing_and_belongs_to_no_role()
    {
        var database = await postgres.CreateDatabaseAsync("runtime_attributes");
        await using var owner = NpgsqlDataSource.Create(postgres.AsOwner(database));

        // Attributes, memberships (pg_execute_server_program and every other predefined role
        // included), and ownership of the database or of anything in it.
        Assert.Equal(
            "f f f f f t 0 0",
            await TextAsync(owner, """
                SELECT concat_ws(' ', r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls, r.rolcanlogin,
                    (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid),
                    (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
                    + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)
                    + (SELECT count(*) FROM pg_database WHERE datdba = r.oid))
                FROM pg_roles r WHERE r.rolname = 'ball_runtime'
                """));
        Assert.Equal("false", await TextAsync(owner, "SELECT pg_has_role('ball_runtime', 'pg_execute_server_program', 'USAGE')::text"));
    }

    public static TheoryData<string> Refused => new()
    {
        "DROP TABLE ball_grain_state",
        "ALTER TABLE ball_grain_state ADD COLUMN extra integer",
        "CREATE TABLE ball_extra (id integer)",
        "CREATE FUNCTION ball_extra() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
        "CREATE OR REPLACE FUNCTION ball_day(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $f$ SELECT DATE '2000-01-01' $f$",
        "CREATE INDEX ball_extra ON ball_grain_state (version)",
        "CREATE TEMPORARY TABLE extra (id integer)",
        "TRUNCATE ball_report_totals",
        "COPY ball_stats_key TO PROGRAM 'cat > /dev/null'",
        "COPY (SELECT 1) TO PROGRAM 'true'",
        "SELECT ball_stats_rebuild('s')",
        "INSERT INTO ball_cookie_keys (id, key) VALUES (2, sha256('x'))",
        "SET ROLE ball_owner",
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task The_runtime_role_may_not(string sql)
    {
        var database = await postgres.CreateDatabaseAsync("runtime_refused");
        await using var runtime = NpgsqlDataSource.Create(database);
        await using var command = runtime.CreateCommand(sql);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        // Nothing changed: the table the DDL aimed at is as the migration left it.
        await using var owner = NpgsqlDataSource.Create(postgres.AsOwner(database));
        Assert.Equal("0", await TextAsync(owner, "SELECT count(*)::text FROM pg_class WHERE relname LIKE 'ball_extra%' OR relname = 'extra'"));
    }

    [Fact]
    public async Task The_runtime_role_cannot_migrate()
    {
        var database = await postgres.CreateDatabaseAsync("runtime_migrate");
        await using var runtime = NpgsqlDataSource.Create(database);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => new SchemaMigrator(runtime, NullLogger<SchemaMigrator>.Instance).MigrateAsync());

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    /// <summary>The rows of the table under the marker in docs/operations.md, one "kind name privilege" string per privilege.</summary>
    private static SortedSet<string> DocumentedPrivileges()
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root(), "docs", "operations.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith(Marker, StringComparison.Ordinal));
        Assert.True(start >= 0, $"docs/operations.md has no {Marker} table");
        var rows = lines.Skip(start + 3).TakeWhile(l => l.StartsWith('|'));
        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var cells = row.Trim('|').Split('|', StringSplitOptions.TrimEntries);
            foreach (var privilege in cells[2].Split(',', StringSplitOptions.TrimEntries))
            {
                documented.Add($"{cells[0]} {cells[1]} {privilege}");
            }
        }

        Assert.NotEmpty(documented);
        return documented;
    }

    private static async Task<string?> TextAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (await command.ExecuteScalarAsync())?.ToString();
    }
}
