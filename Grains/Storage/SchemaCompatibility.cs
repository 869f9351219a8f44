using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// Whether this build may serve from the database's schema, read from what <c>migrate</c> recorded
/// (<c>ball_schema_version</c>, <c>ball_schema_release</c>) with no DDL and no lock: every
/// migration of this build applied, and the function scripts of this release or of the next one
/// (a rolling deploy or a rollback leaves the previous release serving beside the new schema).
/// Anything else is refused, so an old binary can never meet functions it does not know, and,
/// since only <c>migrate</c> installs, can never put its own back.
/// </summary>
public static class SchemaCompatibility
{
    /// <summary>How many function releases newer than this build's a database may be, and still be served.</summary>
    public const int ReleasesAhead = 1;

    /// <summary>Null when this build may serve; otherwise why not, in one line an operator can act on.</summary>
    public static async Task<string?> ProblemAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // to_regclass needs no privilege on the table: an unmigrated database is told apart from one
        // whose grants are missing.
        if (!await ScalarAsync<bool>(connection, "SELECT to_regclass('ball_schema_version') IS NOT NULL AND to_regclass('ball_schema_release') IS NOT NULL", cancellationToken))
        {
            return "the database has no schema yet: run `migrate` as the schema owner before starting silos or web tiers (they never migrate)";
        }

        int[] applied;
        int release;
        try
        {
            applied = await ScalarAsync<int[]>(connection, "SELECT coalesce(array_agg(version), '{}') FROM ball_schema_version", cancellationToken);
            release = await ScalarAsync<int?>(connection, "SELECT max(functions) FROM ball_schema_release", cancellationToken) ?? 0;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return $"the login {connection.UserName} may not read the schema's version ({ex.MessageText}): " +
                $"run this build's `migrate` as the schema owner, which grants {SchemaMigrator.RuntimeRole} what it needs";
        }

        var missing = SchemaMigrator.Migrations.Select(m => m.Version).Except(applied).ToList();
        if (missing.Count > 0 || release < SchemaMigrator.FunctionsRelease)
        {
            var what = missing.Count > 0 ? $"migrations {string.Join(", ", missing)} not applied" : $"functions release {release}, this build's {SchemaMigrator.FunctionsRelease}";
            return $"the database schema is older than this build ({what}): run this build's `migrate` as the schema owner first";
        }

        if (release > SchemaMigrator.FunctionsRelease + ReleasesAhead)
        {
            return $"the database schema is newer than this build by more than {ReleasesAhead} release (functions release {release}, this build's {SchemaMigrator.FunctionsRelease}): deploy a newer build";
        }

        return null;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
