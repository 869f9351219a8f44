using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace BallOrleans.Web.Operations;

/// <summary>
/// OpenTelemetry metrics (Orleans', Polly's, ASP.NET Core's and ours) for Prometheus: at
/// <c>/metrics</c> on the site's own port with the admin credential, or, with
/// <c>Metrics:Port</c> set, on that port alone, without one, as standalone silos serve them.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddBallTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // Which exporter to register is decided before the container exists.
        var port = BallOptions.Get<SiloMetricsOptions>(configuration, SiloMetricsOptions.Section).Port;
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(BallMetrics.ExportedMeters).AddMeter(StatsMetrics.MeterName)
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
            if (port > 0)
            {
                // A listener of its own, outside Kestrel: the site's ports and its admin
                // credential stay as they are, and Prometheus needs no password over plain HTTP.
                metrics.AddPrometheusHttpListener(o =>
                {
                    o.Host = "*";
                    o.Port = port;
                });
            }
            else
            {
                metrics.AddPrometheusExporter();
            }

            foreach (var instrument in BallMetrics.DroppedInstruments)
            {
                metrics.AddView(instrument, MetricStreamConfiguration.Drop);
            }
        });
        services.AddHostedService<StatsMetrics>();
        return services;
    }

    /// <summary>Maps <c>/metrics</c> on <paramref name="app"/> (the admin group, so it is not public), unless a metrics port serves it.</summary>
    public static IEndpointRouteBuilder MapBallMetrics(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IOptions<SiloMetricsOptions>>().Value.Port == 0)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }

        return app;
    }
}
