using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Web.Admin;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// The lines an operator needs, once the site listens: where, the mode and cluster, the database
/// (never its password), who may open the admin pages; and one when it stops. They stand in for
/// the host's own four start-up lines and Orleans' chatter, kept below the default level in
/// appsettings.json.
/// </summary>
public static class StartupSummary
{
    public static void LogStartupSummary(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("BallOrleans.Web");
        var cluster = app.Services.GetRequiredService<IOptions<BallClusterOptions>>().Value;
        var tls = BallOptions.Get<ClusterTlsOptions>(app.Configuration, ClusterTlsOptions.Section);
        var admin = app.Services.GetRequiredService<IOptions<AdminOptions>>().Value;
        var ingress = app.Services.GetRequiredService<IOptions<IngressOptions>>().Value;
        var database = new NpgsqlConnectionStringBuilder(PostgresConnection.Resolve(app.Configuration));
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            logger.LogInformation("Listening on {Addresses}; settings from {ContentRoot}; Ctrl+C stops",
                string.Join(", ", app.Urls), app.Environment.ContentRootPath);
            if (cluster.Mode == "client")
            {
                logger.LogInformation("Orleans client of cluster {ClusterId} (gateways from the membership table); database {Host}:{Port}/{Database}",
                    cluster.ClusterId, database.Host, database.Port, database.Database);
                logger.Log(tls.Insecure ? LogLevel.Warning : LogLevel.Information, "{Transport}", ClusterTransport.Describe(tls));
            }
            else
            {
                logger.LogInformation("Co-hosted silo of cluster {ClusterId} on silo port {SiloPort} ({Transport}, no gateway); database {Host}:{Port}/{Database}",
                    cluster.ClusterId, cluster.SiloPort,
                    tls.Insecure ? "PLAIN TEXT" : string.IsNullOrWhiteSpace(tls.CertificatePath) ? "mutual TLS, CA in memory" : "mutual TLS",
                    database.Host, database.Port, database.Database);
                if (tls.Insecure)
                {
                    logger.LogWarning("{Transport}", ClusterTransport.Describe(tls));
                }
            }

            // Without a proxy CA nothing is believed, the default, which needs no line.
            if (ingress.TrustsProxy)
            {
                logger.LogInformation("X-Forwarded-For believed on HTTPS connections whose client certificate chains to {ClientCa}; from nobody else", ingress.ClientCaPath);
            }

            if (admin.HasPassword)
            {
                logger.LogInformation("Admin pages (/stats, /api/*, /dashboard, /metrics): HTTP Basic as user '{User}'", AdminAccess.User);
            }
            else
            {
                logger.LogWarning("Stats__AdminPassword is not set: the admin pages (/stats, /api/*, /dashboard, /metrics) answer loopback clients only");
            }
        });
        app.Lifetime.ApplicationStopping.Register(() =>
            logger.LogInformation("Stopping: requests in flight finish, then the Orleans {Role} leaves the cluster",
                cluster.Mode == "client" ? "client" : "silo"));
    }
}
