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

    /// <summary>
    /// Batches in flight at once, each on its own connection (grouped mode). Two, not more: a
    /// batch costs PostgreSQL a fixed part (the statement, the commit and its WAL flush) besides
    /// its rows, so fewer, fuller batches cost less per visit; two keep both of a small server's
    /// cores busy (two lanes against four, measured on 2 cores: docs/performance.md, "Visits
    /// beside the baseline").
    /// </summary>
    [Range(1, 64)]
    public int Lanes { get; set; } = 2;

    /// <summary>Operations that may wait for a lane; beyond that a write fails at once (grouped mode).</summary>
    [Range(1, 1_000_000)]
    public int QueueLimit { get; set; } = 10_000;

    /// <summary>
    /// How long a read or write that found no primary (none reachable, or the one reached refused
    /// the write as read-only) is tried again, when the connection string names several servers
    /// (grouped mode). Only operations that certainly did not commit are retried (a failed connect,
    /// a refusal, a read); a commit whose answer was lost stays unknown. A failover takes several
    /// seconds (docs/faults.md, "Database"), and a visit that waits it out is counted rather than
    /// refused; the web tier's <c>Visits:RetryDeadline</c> (10 s) is the visit's own limit, so this
    /// stays below it. With one server nothing takes its place soon: no retry, the visit is refused
    /// at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan FailoverRetryWindow { get; set; } = TimeSpan.FromSeconds(8);
}
