using BallOrleans.Grains.Diagnostics;
using OpenTelemetry.Metrics;

namespace BallOrleans.Web.Operations;

/// <summary>OpenTelemetry metrics (Orleans', ASP.NET Core's and ours), scraped by Prometheus at <c>/metrics</c>.</summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddBallTelemetry(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(BallMetrics.ExportedMeters)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }

    public static IEndpointRouteBuilder MapBallMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
