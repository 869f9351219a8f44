using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
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
        var mode = configuration["Orleans:Mode"] ?? "cohost";
        switch (mode)
        {
            case "cohost":
                builder.UseOrleans(silo => silo.AddBallSilo(configuration));
                break;
            case "client":
                var cluster = BallSilo.BindClusterOptions(builder.Services, configuration);
                var connectionString = PostgresConnection.Resolve(configuration);
                builder.Services.AddBallDatabase(configuration);
                builder.Services.AddDatabaseExceptionSerialization();
                builder.UseOrleansClient(client =>
                {
                    client
                        .Configure<ClusterOptions>(o =>
                        {
                            o.ClusterId = cluster.ClusterId;
                            o.ServiceId = cluster.ServiceId;
                        })
                        .Configure<ClientMessagingOptions>(o => o.ResponseTimeout = cluster.CallTimeout)
                        // Learn of new and dead gateways within seconds, not the default minute.
                        .Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5))
                        .UseAdoNetClustering(o =>
                        {
                            o.Invariant = "Npgsql";
                            o.ConnectionString = connectionString;
                        });
                    if (cluster.Dashboard)
                    {
                        client.AddDashboard();
                    }
                });
                builder.Services.AddSingleton(TimeProvider.System);
                break;
            default:
                throw new InvalidOperationException($"Orleans:Mode must be 'cohost' or 'client', not '{mode}'");
        }

        return builder;
    }

    /// <summary>The Orleans Dashboard under <see cref="DashboardPath"/>, behind the admin credential.</summary>
    public static WebApplication MapBallDashboard(this WebApplication app)
    {
        if (app.Configuration.GetSection(BallClusterOptions.Section).Get<BallClusterOptions>()?.Dashboard ?? true)
        {
            app.MapOrleansDashboard(routePrefix: DashboardPath);
        }

        return app;
    }
}
