using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>Finds the PostgreSQL connection string: <c>ConnectionStrings:Postgres</c>, else the PG* variables.</summary>
public static class PostgresConnection
{
    public const string ConfigKey = "Postgres";

    /// <summary>The connection string, or null with <paramref name="problem"/> saying what is missing.</summary>
    public static string? TryResolve(IConfiguration configuration, out string? problem)
    {
        problem = null;
        var configured = configuration.GetConnectionString(ConfigKey);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = string.IsNullOrWhiteSpace(configured) ? FromPgEnvironment() : new NpgsqlConnectionStringBuilder(configured);
        }
        catch (ArgumentException ex)
        {
            problem = $"ConnectionStrings__Postgres is not a valid Npgsql connection string: {ex.Message}";
            return null;
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            problem = "No database configured: set ConnectionStrings__Postgres (or PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).";
            return null;
        }

        ApplyDefaults(builder);
        return builder.ConnectionString;
    }

    public static string Resolve(IConfiguration configuration) =>
        TryResolve(configuration, out var problem) ?? throw new InvalidOperationException(problem);

    /// <summary>The schema owner's setting (<c>ConnectionStrings:PostgresOwner</c>): <c>migrate</c> and the maintenance commands log in with it.</summary>
    public const string OwnerConfigKey = "PostgresOwner";

    /// <summary>
    /// The schema owner's connection string, with the same defaults; without the setting, the
    /// runtime's (a database with one role for everything, whose owner is then the site's login).
    /// </summary>
    public static string ResolveOwner(IConfiguration configuration)
    {
        var configured = configuration.GetConnectionString(OwnerConfigKey);
        if (string.IsNullOrWhiteSpace(configured))
        {
            return Resolve(configuration);
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(configured);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings__{OwnerConfigKey} is not a valid Npgsql connection string: {ex.Message}", ex);
        }

        ApplyDefaults(builder);
        return builder.ConnectionString;
    }

    // The standard libpq variables, so that `pg_virtualenv` and friends just work.
    private static NpgsqlConnectionStringBuilder FromPgEnvironment()
    {
        var builder = new NpgsqlConnectionStringBuilder();
        var host = Environment.GetEnvironmentVariable("PGHOST");
        if (string.IsNullOrWhiteSpace(host))
        {
            return builder;
        }

        builder.Host = host;
        if (int.TryParse(Environment.GetEnvironmentVariable("PGPORT"), out var port))
        {
            builder.Port = port;
        }

        builder.Username = Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        builder.Password = Environment.GetEnvironmentVariable("PGPASSWORD");
        builder.Database = Environment.GetEnvironmentVariable("PGDATABASE") ?? builder.Username;
        return builder;
    }

    // Defaults that matter on the visit path, each overridable in the connection string:
    // prepared statements for the handful of queries we repeat, and no session reset each time
    // a pooled connection is handed back (we never change session state).
    private static void ApplyDefaults(NpgsqlConnectionStringBuilder builder)
    {
        // What the connection string itself says, by Npgsql's canonical names. Not the builder's
        // ContainsKey: Npgsql answers it for every keyword it knows, set or not.
        var given = new DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        if (!given.ContainsKey("Max Auto Prepare"))
        {
            builder.MaxAutoPrepare = 32;
        }

        if (!given.ContainsKey("No Reset On Close"))
        {
            builder.NoResetOnClose = true;
        }

        // Fail fast when the database is unreachable (Npgsql waits 15 s to connect and 30 s for a
        // command by default): a visit that cannot be stored is answered 503 at once, and the
        // visitor reloads; a hung request helps no one. With several servers (a primary and its
        // standbys) Npgsql spends the connect timeout on each one that does not answer, frozen
        // or cut off, before it tries the next: 1 s there, not 3.
        if (!given.ContainsKey("Timeout"))
        {
            builder.Timeout = builder.Host!.Contains(',', StringComparison.Ordinal) ? 1 : 3;
        }

        if (!given.ContainsKey("Command Timeout"))
        {
            builder.CommandTimeout = 5;
        }

        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "ball-orleans";
        }
    }
}
