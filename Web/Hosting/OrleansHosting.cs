using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// The web tier either co-hosts a silo (the one-machine default) or joins a cluster of
/// separate Silo processes as a client (<c>Orleans:Mode=client</c>), finding the gateways in
/// the membership table.
/// </summary>
public static class OrleansHosting
{
    public const string DashboardPath = "/dashboard";

    public static WebApplicationBuilder AddBallOrleans(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var cluster = BallOptions.Get<BallClusterOptions>(configuration, BallClusterOptions.Section);
        switch (cluster.Mode)
        {
            case "cohost":
                builder.UseOrleans(silo => silo.AddBallSilo(configuration, SiloListening.AdvertisedAddressOnly));
                break;
            case "client":
                builder.AddBallClusterClient(cluster);
                break;
        }

        return builder;
    }

    /// <summary>
    /// An Orleans client of the cluster of Silo processes, over mutual TLS: the web tier in client
    /// mode, and the <c>cluster-check</c> command.
    /// </summary>
    public static IHostApplicationBuilder AddBallClusterClient(this IHostApplicationBuilder builder, BallClusterOptions cluster)
    {
        var configuration = builder.Configuration;
        var connectionString = PostgresConnection.Resolve(configuration);
        builder.Services.AddBallDatabase(configuration);
        builder.Services.AddDatabaseExceptionSerialization();
        builder.Services.AddSchemaVersionGate();
        builder.UseOrleansClient(client =>
        {
            client
                .Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = cluster.ClusterId;
                    o.ServiceId = cluster.ServiceId;
                })
                .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = cluster.CallTimeout)
                // Learn of new and dead gateways within half a second, not the default minute: a
                // client sends every call for one grain through one gateway, and a frozen or
                // cut-off gateway keeps its connection open, so the membership table is how
                // the client learns to stop using it.
                .Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromMilliseconds(500))
                .UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                })
                .UseClusterTls(configuration);
            if (cluster.Dashboard)
            {
                client.AddDashboard();
            }
        });
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>The Orleans Dashboard under <see cref="DashboardPath"/>, when it is on; map it on the admin group.</summary>
    public static IEndpointRouteBuilder MapBallDashboard(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IOptions<BallClusterOptions>>().Value.Dashboard)
        {
            app.MapOrleansDashboard(routePrefix: DashboardPath);
        }

        return app;
    }
}
