using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace BallOrleans.Web.Operations;

/// <summary>
/// OpenTelemetry metrics (Orleans', Polly's, ASP.NET Core's and ours) for Prometheus: at
/// <c>/metrics</c> on the site's own port with the admin credential, or, with
/// <c>Metrics:Port</c> set, on that port alone (<see cref="MetricsPortServer"/>), without one.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = MetricsPortServer.MetricsPath;

    public static IServiceCollection AddBallTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(BallMetrics.ExportedMeters).AddMeter(StatsMetrics.MeterName)
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter();
            foreach (var instrument in BallMetrics.DroppedInstruments)
            {
                metrics.AddView(instrument, MetricStreamConfiguration.Drop);
            }
        });
        services.AddHostedService<StatsMetrics>();
        // Whether to open a port at all is decided before the container exists.
        if (BallOptions.Get<SiloMetricsOptions>(configuration, SiloMetricsOptions.Section).Port > 0)
        {
            services.AddHostedService<MetricsPortServer>();
        }

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
