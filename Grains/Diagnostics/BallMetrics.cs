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

    /// <summary>
    /// Polly's meter: the resilience events of the database retries (Storage/DatabaseRetries.cs)
    /// and of Orleans' own pipelines, such as <c>resilience_polly_strategy_events_total{event_name="OnRetry"}</c>.
    /// </summary>
    public const string PollyMeterName = "Polly";

    /// <summary>Every meter a host exports: Orleans' own, Polly's and ours.</summary>
    public static readonly string[] ExportedMeters = ["Microsoft.Orleans", MeterName, PollyMeterName];

    /// <summary>
    /// Orleans instruments the hosts do not export. Their callbacks walk every activation or every
    /// directory cache entry at each observation: 7% of the site's CPU samples with 30,000 grains
    /// in memory (perf, cold visits), growing with the grains. Activations are still exported as a
    /// count (<c>orleans-catalog-activations</c>).
    /// </summary>
    public static readonly string[] DroppedOrleansInstruments =
        ["orleans-directory-cache-size", "orleans-messaging-processing-activation-data"];

    /// <summary>
    /// Polly instruments the hosts do not export: the duration of every attempt, which every storage
    /// batch records (each goes through the failover pipeline); <c>ball.storage.write.duration</c>
    /// measures writes already. Retries stay counted (<c>resilience.polly.strategy.events</c>).
    /// </summary>
    public static readonly string[] DroppedPollyInstruments = ["resilience.polly.strategy.attempt.duration"];

    /// <summary>Every instrument of an exported meter that the hosts drop.</summary>
    public static IEnumerable<string> DroppedInstruments => DroppedOrleansInstruments.Concat(DroppedPollyInstruments);

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Durable (counted) visits, tagged <c>color</c>.</summary>
    public static readonly Counter<long> Visits =
        Meter.CreateCounter<long>("ball.visits", unit: "{visit}", description: "Visits written to storage, per color");

    /// <summary>Visits that could not be stored (storage down or slow), so were not counted.</summary>
    public static readonly Counter<long> VisitsNotCounted =
        Meter.CreateCounter<long>("ball.visits.not_stored", unit: "{visit}", description: "Visits refused because storage failed");

    /// <summary>How long one visitor-state write to PostgreSQL took.</summary>
    public static readonly Histogram<double> StorageWriteLatency =
        Meter.CreateHistogram<double>("ball.storage.write.duration", unit: "s", description: "Visitor state write latency");

    /// <summary>
    /// New visitors not minted because a limit refused them, tagged <c>limit</c>: <c>address</c>
    /// (their client address was over its own) or <c>global</c> (the web instance's).
    /// </summary>
    public static readonly Counter<long> NewVisitorsLimited =
        Meter.CreateCounter<long>("ball.visitors.limited", unit: "{visitor}", description: "New visitors shown a ball but not stored (rate limit)");

    /// <summary>Returning visits shown their ball but not counted because the visitor's cookie was over its visit rate.</summary>
    public static readonly Counter<long> VisitsLimited =
        Meter.CreateCounter<long>("ball.visits.limited", unit: "{visit}", description: "Returning visits shown a ball but not stored (per-cookie rate limit)");

    /// <summary>
    /// Batches of the grouped visitor storage and erasures sent again, tagged <c>reason</c>:
    /// <c>rolled-back</c> (a write PostgreSQL rolled back for a deadlock or a serialization
    /// failure), <c>no-primary</c> (a read or write that found no primary during a failover) or
    /// <c>unknown-erasure</c> (a retention batch whose outcome was unknown). Fed by the retry
    /// pipelines' OnRetry (Storage/DatabaseRetries.cs).
    /// </summary>
    public static readonly Counter<long> StorageRetries =
        Meter.CreateCounter<long>("ball.storage.retries", unit: "{batch}", description: "Visitor storage batches sent again: rolled back by PostgreSQL (deadlock, serialization failure), or no primary during a failover");

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
