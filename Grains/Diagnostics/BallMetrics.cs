using System.Diagnostics.Metrics;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>The application's own instruments, in one meter that every host exports next to Orleans' meters.</summary>
/// <remarks>
/// Static rather than from IMeterFactory: grains, the web tier and the stats pipeline all record
/// into the same few instruments, and a counter's Add is cheap enough for the visit path.
/// </remarks>
public static class BallMetrics
{
    public const string MeterName = "BallOrleans";

    /// <summary>Every meter a host exports: Orleans' own and ours.</summary>
    public static readonly string[] ExportedMeters = ["Microsoft.Orleans", MeterName];

    /// <summary>
    /// Orleans instruments the hosts do not export. Their callbacks walk every activation or every
    /// directory cache entry at each observation: 7% of the site's CPU samples with 30,000 grains
    /// in memory (perf, cold visits), growing with the grains. Activations are still exported as a
    /// count (<c>orleans-catalog-activations</c>).
    /// </summary>
    public static readonly string[] DroppedOrleansInstruments =
        ["orleans-directory-cache-size", "orleans-messaging-processing-activation-data"];

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Durable (counted) visits, tagged <c>color</c>.</summary>
    public static readonly Counter<long> Visits =
        Meter.CreateCounter<long>("ball.visits", unit: "{visit}", description: "Visits written to storage, per color");

    /// <summary>Visits that could not be stored (storage down or slow), so were not counted.</summary>
    public static readonly Counter<long> VisitsNotStored =
        Meter.CreateCounter<long>("ball.visits.not_stored", unit: "{visit}", description: "Visits refused because storage failed");

    /// <summary>How long one visitor-state write to PostgreSQL took.</summary>
    public static readonly Histogram<double> StorageWriteLatency =
        Meter.CreateHistogram<double>("ball.storage.write.duration", unit: "s", description: "Visitor state write latency");

    /// <summary>New visitors not minted because their client address was over its limit.</summary>
    public static readonly Counter<long> NewVisitorsLimited =
        Meter.CreateCounter<long>("ball.visitors.limited", unit: "{visitor}", description: "New visitors shown a ball but not stored (rate limit)");

    /// <summary>
    /// Batches of the grouped visitor storage sent again: a write batch PostgreSQL rolled back (a
    /// deadlock or a serialization failure), and each new try of a read or write batch that found
    /// no primary during a failover (<c>Storage:FailoverRetryWindow</c>).
    /// </summary>
    public static readonly Counter<long> StorageRetries =
        Meter.CreateCounter<long>("ball.storage.retries", unit: "{batch}", description: "Visitor storage batches sent again: after a deadlock or serialization failure, or while no primary took writes (failover)");

    /// <summary>Operations carried by one batch of the grouped visitor storage, tagged <c>operation</c> (read or write).</summary>
    public static readonly Histogram<int> StorageBatchSize =
        Meter.CreateHistogram<int>("ball.storage.batch.size", unit: "{operation}", description: "Visitor reads or writes per storage batch");

    /// <summary>Ball pages answered 503, tagged <c>outcome</c> (<c>not-counted</c> or <c>unknown</c>, as the Visit-Outcome header).</summary>
    public static readonly Counter<long> VisitsUnavailable =
        Meter.CreateCounter<long>("ball.visits.unavailable", unit: "{visit}", description: "Ball pages answered 503, per outcome");

    /// <summary>Silos this process saw declared dead by the cluster's membership (each process counts what it sees).</summary>
    public static readonly Counter<long> SilosDeclaredDead =
        Meter.CreateCounter<long>("ball.cluster.silos_declared_dead", unit: "{silo}", description: "Silos declared dead by the membership protocol, as seen by this process");

    /// <summary>The <c>color</c> tag of a visit.</summary>
    public static KeyValuePair<string, object?> ColorTag(string color) => new("color", color);

    /// <summary>The <c>operation</c> tag of a storage batch.</summary>
    public static KeyValuePair<string, object?> OperationTag(string operation) => new("operation", operation);
}
