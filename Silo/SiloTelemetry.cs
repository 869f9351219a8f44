using BallOrleans.Grains.Diagnostics;
using OpenTelemetry.Metrics;

namespace BallOrleans.Silo;

/// <summary>OpenTelemetry for a standalone silo: Orleans' meters and ours, scraped at <c>http://*:Metrics:Port/metrics</c>.</summary>
public static class SiloTelemetry
{
    public static IServiceCollection AddBallSiloTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SiloMetricsOptions>()
            .Bind(configuration.GetSection(SiloMetricsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var port = configuration.GetSection(SiloMetricsOptions.Section).Get<SiloMetricsOptions>()?.Port ?? 0;
        if (port > 0)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(BallMetrics.ExportedMeters)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = "*";
                    o.Port = port;
                }));
        }

        return services;
    }
}
