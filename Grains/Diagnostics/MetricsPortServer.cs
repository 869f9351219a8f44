using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>
/// <c>/metrics</c> on <c>Metrics:Port</c>, from a Kestrel server of its own in this process that
/// answers nothing else, with no credential: the network policy admits Prometheus alone there.
/// Web processes and standalone silos both serve their metrics this way.
/// </summary>
/// <remarks>
/// A server of its own, because an endpoint Kestrel adds in code replaces the addresses the
/// operator gave (<c>--urls</c>, <c>ASPNETCORE_HTTP_PORTS</c>) instead of joining them; and not
/// the exporter's HttpListener, which its authors call unfit for production (and which refused to
/// start with host <c>*</c>: a standalone silo with <c>Metrics:Port</c> set crashed at start). It
/// serves the process's own meter provider.
/// </remarks>
public sealed class MetricsPortServer(IOptions<SiloMetricsOptions> options, MeterProvider meters) : IHostedService, IAsyncDisposable
{
    /// <summary>Where Prometheus scrapes: this server's only path, and the web tier's admin page.</summary>
    public const string MetricsPath = "/metrics";

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
        _server.MapPrometheusScrapingEndpoint(MetricsPath, meters, configureBranchedPipeline: null, optionsName: null);
        await _server.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
