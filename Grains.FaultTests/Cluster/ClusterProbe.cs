using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

namespace BallOrleans.Tests.Cluster;

/// <summary>What the failure tests read back: stored views, membership rows, and where grains live.</summary>
public static class ClusterProbe
{
    /// <summary>Orleans' SiloStatus values in the membership table.</summary>
    public const int Active = 3;

    public const int Dead = 6;

    /// <summary>Stored views of every visitor in the database.</summary>
    public static async Task<Dictionary<string, long>> StoredViewsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT grain_key, (j->>'r')::bigint + (j->>'b')::bigint FROM (SELECT grain_key, convert_from(payload, 'UTF8')::jsonb AS j " +
            "FROM ball_grain_state WHERE state_name = 'visitor') s", connection);
        var views = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            views[reader.GetString(0)] = reader.GetInt64(1);
        }

        return views;
    }

    /// <summary>Whether the database accepts a connection and answers within 2 s.</summary>
    public static async Task<bool> DatabaseAnswersAsync(string database)
    {
        try
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false, Timeout = 2 }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return await command.ExecuteScalarAsync() is 1;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    /// <summary>Visitors whose stored last visit is more than a minute ahead of the database's clock.</summary>
    public static async Task<long> VisitorsSeenInTheFutureAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM ball_grain_state WHERE state_name = 'visitor' " +
            "AND (convert_from(payload, 'UTF8')::jsonb->>'l')::timestamptz > now() + interval '1 minute'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Visitors and views of one color.</summary>
    public readonly record struct ColorTotal(string Color, long Visitors, long Views);

    /// <summary>Visitors and views per color, straight from the stored grain state.</summary>
    public static async Task<HashSet<ColorTotal>> StoredTotalsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT j->>'c', count(*), sum((j->>'r')::bigint + (j->>'b')::bigint)::bigint FROM (SELECT convert_from(payload, 'UTF8')::jsonb AS j " +
            "FROM ball_grain_state WHERE state_name = 'visitor') s GROUP BY 1", connection);
        var totals = new HashSet<ColorTotal>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            totals.Add(new ColorTotal(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return totals;
    }

    /// <summary>The membership status of the newest silo on <paramref name="port"/> (6 = dead), or null.</summary>
    public static async Task<int?> SiloStatusAsync(string database, int port)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT status FROM ball_membership WHERE port = @port ORDER BY generation DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("port", port);
        return await command.ExecuteScalarAsync() as int?;
    }

    /// <summary>How many visitor grains are active on the silo listening on <paramref name="siloPort"/>.</summary>
    public static async Task<int> VisitActivationsAsync(string database, LocalCluster cluster, int siloPort)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders(); // a probe, not a service: its start-up chatter would bury the figures
        // A client of the cluster like the web tier: with a client certificate of the cluster's CA.
        var certificate = await LocalCluster.CertificateAsync(cluster.RunDirectory, "client", "probe");
        var tls = new ConfigurationBuilder()
            .AddInMemoryCollection(certificate.ToDictionary(p => p.Key.Replace("__", ":", StringComparison.Ordinal), p => p.Value))
            .Build();
        builder.UseOrleansClient(client => client
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = "ball-orleans";
            })
            .UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = database;
            })
            .UseClusterTls(tls));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var management = host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
            var statistics = await management.GetSimpleGrainStatistics();
            return statistics
                .Where(s => s.SiloAddress.Endpoint.Port == siloPort
                    && (s.GrainType.Contains(nameof(VisitorGrain), StringComparison.Ordinal) || s.GrainType.Contains(nameof(FirstVisitGrain), StringComparison.Ordinal)))
                .Sum(s => s.ActivationCount);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
