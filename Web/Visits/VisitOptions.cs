using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Visits;

/// <summary>How hard the web tier tries to record a visit (section <c>Visits</c>).</summary>
public sealed class VisitOptions
{
    public const string Section = "Visits";

    /// <summary>
    /// How long a visit may be retried while the cluster is failing over (a silo died and is not
    /// yet declared dead). Storage failures are never retried: they answer 503 at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryDeadline { get; set; } = TimeSpan.FromSeconds(10);
}
