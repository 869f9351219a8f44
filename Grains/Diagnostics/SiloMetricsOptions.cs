using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>Where a standalone silo serves its Prometheus metrics (section <c>Metrics</c>); it has no web server of its own.</summary>
public sealed class SiloMetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Port of the <c>/metrics</c> listener; 0 (the default) serves none, so local silos need no extra ports.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }
}
