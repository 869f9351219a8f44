using BallOrleans.Grains.Diagnostics;
using OpenTelemetry.Metrics;

namespace BallOrleans.Web.Operations;

/// <summary>OpenTelemetry metrics (Orleans', Polly's, ASP.NET Core's and ours), scraped by Prometheus at <c>/metrics</c> with the admin credential.</summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddBallTelemetry(this IServiceCollection services)
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
        return services;
    }

    /// <summary>Maps <c>/metrics</c> on <paramref name="app"/>: the admin group, so it is not public on the site's port.</summary>
    public static IEndpointRouteBuilder MapBallMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
