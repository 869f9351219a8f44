using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Storage;

/// <summary>How visitor state reaches PostgreSQL (section <c>Storage</c>).</summary>
public sealed class VisitorStorageOptions
{
    public const string Section = "Storage";

    public const string Grouped = "grouped";

    public const string AdoNet = "adonet";

    /// <summary>
    /// <c>grouped</c> (default): reads and writes join batches, one statement and one commit each
    /// (<see cref="GroupedVisitorStorage"/>). <c>adonet</c>: Microsoft.Orleans.Persistence.AdoNet,
    /// one statement per write. Both use the same rows, so a database can switch either way.
    /// </summary>
    [Required, AllowedValues(Grouped, AdoNet)]
    public string Visitors { get; set; } = Grouped;

    /// <summary>Most operations in one batch (grouped mode).</summary>
    [Range(1, 10_000)]
    public int MaxBatch { get; set; } = 256;

    /// <summary>Batches in flight at once, each on its own connection (grouped mode).</summary>
    [Range(1, 64)]
    public int Lanes { get; set; } = 4;

    /// <summary>Operations that may wait for a lane; beyond that a write fails at once (grouped mode).</summary>
    [Range(1, 1_000_000)]
    public int QueueLimit { get; set; } = 10_000;
}
