using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using Orleans.Configuration;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// The web tier either co-hosts a silo (the one-machine default) or joins a cluster of
/// separate Silo processes as a client (<c>Orleans:Mode=client</c>).
/// </summary>
public static class OrleansHosting
{
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
                var cluster = configuration.GetSection(BallClusterOptions.Section).Get<BallClusterOptions>() ?? new BallClusterOptions();
                var connectionString = PostgresConnection.Resolve(configuration);
                builder.Services.AddBallDatabase(configuration);
                builder.UseOrleansClient(client => client
                    .Configure<ClusterOptions>(o =>
                    {
                        o.ClusterId = cluster.ClusterId;
                        o.ServiceId = cluster.ServiceId;
                    })
                    .UseAdoNetClustering(o =>
                    {
                        o.Invariant = "Npgsql";
                        o.ConnectionString = connectionString;
                    }));
                builder.Services.AddSingleton(TimeProvider.System);
                break;
            default:
                throw new InvalidOperationException($"Orleans:Mode must be 'cohost' or 'client', not '{mode}'");
        }

        return builder;
    }
}
