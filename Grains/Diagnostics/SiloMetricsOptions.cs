using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>
/// Where a standalone silo, or a web process, serves its Prometheus metrics on a port of their own
/// (section <c>Metrics</c>), without a credential: a standalone silo has no web server, and a web
/// process keeps its admin password off the network Prometheus scrapes from.
/// </summary>
public sealed class SiloMetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Port of the <c>/metrics</c> listener; 0 (the default): a silo serves none, so local silos need no extra ports; the web tier serves them on its own port, as an admin page.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }
}
