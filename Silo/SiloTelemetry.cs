using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using OpenTelemetry.Metrics;

namespace BallOrleans.Silo;

/// <summary>OpenTelemetry for a standalone silo: Orleans', Polly's and our meters, scraped at <c>/metrics</c> on <c>Metrics:Port</c> (<see cref="MetricsPortServer"/>).</summary>
public static class SiloTelemetry
{
    public static IServiceCollection AddBallSiloTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // Whether to open a listener at all is decided before the container exists.
        var port = BallOptions.Get<SiloMetricsOptions>(configuration, SiloMetricsOptions.Section).Port;
        if (port > 0)
        {
            services.AddOpenTelemetry().WithMetrics(metrics =>
            {
                metrics.AddMeter(BallMetrics.ExportedMeters).AddPrometheusExporter();
                foreach (var instrument in BallMetrics.DroppedInstruments)
                {
                    metrics.AddView(instrument, MetricStreamConfiguration.Drop);
                }
            });
            services.AddHostedService<MetricsPortServer>();
        }

        return services;
    }
}
