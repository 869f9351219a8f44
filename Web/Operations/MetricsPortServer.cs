using BallOrleans.Grains.Diagnostics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace BallOrleans.Web.Operations;

/// <summary>
/// <c>/metrics</c> on <c>Metrics:Port</c>, from a Kestrel server of its own in this process that
/// answers nothing else, with no credential: the network policy admits Prometheus alone there.
/// </summary>
/// <remarks>
/// A server of its own, because an endpoint Kestrel adds in code replaces the addresses the
/// operator gave (<c>--urls</c>, <c>ASPNETCORE_HTTP_PORTS</c>) instead of joining them; and not
/// the exporter's HttpListener, which its authors call unfit for production. It serves the
/// site's own meter provider.
/// </remarks>
public sealed class MetricsPortServer(IOptions<SiloMetricsOptions> options, MeterProvider meters) : IHostedService, IAsyncDisposable
{
    private WebApplication? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Empty: none of the site's settings, files or listeners; only Kestrel on the metrics port.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenAnyIP(options.Value.Port);
        });
        builder.Services.AddRoutingCore();
        _server = builder.Build();
        _server.MapPrometheusScrapingEndpoint(Telemetry.MetricsPath, meters, configureBranchedPipeline: null, optionsName: null);
        await _server.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
