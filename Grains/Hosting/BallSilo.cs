using System.Net;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace BallOrleans.Grains.Hosting;

/// <summary>The one place a silo is configured, for the standalone Silo, the web co-host and tests.</summary>
public static class BallSilo
{
    /// <summary>Grains, their PostgreSQL storage and the start's schema check, plus ADO.NET clustering and the dashboard's grains.</summary>
    /// <param name="listen">Which local addresses the silo and gateway ports listen on (see <see cref="SiloListening"/>).</param>
    public static ISiloBuilder AddBallSilo(this ISiloBuilder silo, IConfiguration configuration, SiloListening listen)
    {
        silo.AddBallGrains(configuration).UseBallCluster(configuration, listen);
        if (BallOptions.Get<BallClusterOptions>(configuration, BallClusterOptions.Section).Dashboard)
        {
            silo.AddDashboard();
        }

        return silo;
    }

    /// <summary>Grains and storage only: tests bring their own (in-process) clustering.</summary>
    public static ISiloBuilder AddBallGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        var services = silo.Services;
        services.AddBallDatabase(configuration);
        services.AddDatabaseExceptionSerialization();
        services.AddBallOptions(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ColorAssignment>();
        services.AddStatsStore();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, MinutePruning>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, StatsFolding>();
        services.TryAddSingleton<SystemTextJsonGrainStorageSerializer>();
        // Never migrates: refuses to start on a schema it cannot serve (only `migrate` runs DDL).
        services.AddSchemaVersionGate();
        services.AddVisitorErasure();
        services.AddHostedService<SiloDeathWatch>();
        services.AddWatchdogStartLogger();
        silo.AddVisitorStorage(configuration);
        return silo;
    }

    /// <summary>
    /// The visitors' storage under <see cref="StorageNames.Visitors"/>: grouped batches (default) or
    /// the ADO.NET provider, per <c>Storage:Visitors</c>. Both keep the same rows.
    /// </summary>
    private static void AddVisitorStorage(this ISiloBuilder silo, IConfiguration configuration)
    {
        var services = silo.Services;
        if (BallOptions.Get<VisitorStorageOptions>(configuration, VisitorStorageOptions.Section).Visitors == VisitorStorageOptions.AdoNet)
        {
            services.TryAddSingleton(sp => new WatchedDataSource(sp.GetRequiredService<NpgsqlDataSource>()));
            silo.AddAdoNetGrainStorage(StorageNames.Visitors, options => options
                .Configure<WatchedDataSource, SystemTextJsonGrainStorageSerializer>((o, dataSource, serializer) =>
                {
                    o.Invariant = "Npgsql";
                    o.DataSource = dataSource;
                    o.GrainStorageSerializer = serializer;
                }));
            // The provider behind a wrapper that classifies its commits as the grouped storage does
            // (AdoNetVisitorStorage). Put in the provider's place under the same key: the lifecycle
            // participant the provider's registration added resolves that key, so the wrapper is
            // what takes part (and passes it on), once.
            services.RemoveAllKeyed<IGrainStorage>(StorageNames.Visitors);
            services.AddKeyedSingleton<IGrainStorage>(StorageNames.Visitors, static (sp, key) => new AdoNetVisitorStorage(
                AdoNetGrainStorageFactory.Create(sp, (string)key!), sp.GetRequiredService<WatchedDataSource>()));
            return;
        }

        services.AddGrainStorage(StorageNames.Visitors, static (sp, _) => ActivatorUtilities.CreateInstance<GroupedVisitorStorage>(
            sp, sp.GetRequiredService<SystemTextJsonGrainStorageSerializer>()));
    }

    /// <summary>Cluster identity, endpoints and ADO.NET membership on the same database.</summary>
    public static ISiloBuilder UseBallCluster(this ISiloBuilder silo, IConfiguration configuration, SiloListening listen)
    {
        var cluster = BallOptions.Get<BallClusterOptions>(configuration, BallClusterOptions.Section);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        if (!IPAddress.TryParse(cluster.AdvertisedAddress, out var advertised))
        {
            throw new OptionsValidationException(BallClusterOptions.Section, typeof(BallClusterOptions),
                [$"Orleans:AdvertisedAddress must be an IP address, not '{cluster.AdvertisedAddress}'"]);
        }

        // A co-host opens no gateway (port 0: Orleans' way to say none): its web tier calls grains
        // in process, and a gateway would only let another local process in as a client.
        var cohost = listen == SiloListening.AdvertisedAddressOnly;
        silo.ConfigureEndpoints(advertised, cluster.SiloPort, cohost ? 0 : cluster.GatewayPort, listenOnAnyHostAddress: !cohost);
        // Mutual TLS on every listener: a co-host without certificate files gets an in-memory CA.
        silo.UseClusterTls(configuration, cohost);

        var connectionString = PostgresConnection.Resolve(configuration);
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        });
        silo.UseBallMembership(configuration);
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = cluster.CallTimeout);
        if (cluster.Kubernetes)
        {
            // The pod's IP and name replace the configured address; the agent also deletes
            // membership rows of pods that are gone.
            silo.UseKubernetesHosting();
        }

        return silo;
    }

    /// <summary>One pooled data source for everything that talks to PostgreSQL in this process, and the retry pipelines of its operations.</summary>
    /// <param name="connectionString">Whom to log in as; by default <c>ConnectionStrings:Postgres</c>, the runtime role.</param>
    public static IServiceCollection AddBallDatabase(this IServiceCollection services, IConfiguration configuration, string? connectionString = null)
    {
        services.TryAddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString ?? PostgresConnection.Resolve(configuration)).Build());
        services.AddDatabaseRetries();
        services.TryAddSingleton<SchemaMigrator>();
        services.TryAddSingleton<VisitorPseudonymKey>();
        return services;
    }
}
