using System.Globalization;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Storage;
using Polly;
using Polly.Registry;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// The visitors' grain storage in grouped mode: reads and writes join batches (<see cref="GroupCommit{T}"/>),
/// so one statement and one commit serve every visit waiting at that moment. Rows, payloads and
/// ETags are exactly those of the ADO.NET provider on our schema; the typed figures beside the
/// payload are what the stats read (Storage/Functions/visitors.sql).
/// </summary>
internal sealed class GroupedVisitorStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private const string ReadSql = "SELECT grain_key, payload, version FROM ball_visitors_read($1, $2, $3)";

    private readonly NpgsqlDataSource _dataSource;
    private readonly VisitorPseudonymKey _pseudonyms;
    private readonly IGrainStorageSerializer _serializer;
    private readonly string _serviceId;
    private readonly GroupCommit<PendingRead> _reads;
    private readonly GroupCommit<PendingWrite> _writes;
    private readonly ResiliencePipeline _failover;
    private readonly ResiliencePipeline _rolledBack;
    private readonly TimeProvider _clock;

    public GroupedVisitorStorage(
        NpgsqlDataSource dataSource, VisitorPseudonymKey pseudonyms, IGrainStorageSerializer serializer,
        IOptions<VisitorStorageOptions> options, IOptions<ClusterOptions> cluster, ResiliencePipelineProvider<string> pipelines,
        TimeProvider clock, ILogger<GroupedVisitorStorage> logger)
    {
        _dataSource = dataSource;
        _pseudonyms = pseudonyms;
        _serializer = serializer;
        _serviceId = cluster.Value.ServiceId;
        var o = options.Value;
        _failover = pipelines.GetPipeline(DatabaseRetries.Failover);
        _rolledBack = pipelines.GetPipeline(DatabaseRetries.RolledBack);
        _clock = clock;
        _reads = new GroupCommit<PendingRead>("visitor reads", o.MaxBatch, o.Lanes, o.QueueLimit, ReadBatchAsync, logger);
        _writes = new GroupCommit<PendingWrite>("visitor writes", o.MaxBatch, o.Lanes, o.QueueLimit, WriteBatchAsync, logger);
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var read = new PendingRead(KeyOf(stateName, grainId));
        await _reads.EnqueueAsync(read);
        // Deserialised here, on the caller's turn, not on the lane that serves everyone.
        grainState.State = read.Payload is { } payload ? _serializer.Deserialize<T>(new BinaryData(payload)) : Activator.CreateInstance<T>();
        grainState.RecordExists = read.Payload is not null;
        grainState.ETag = read.Version?.ToString(CultureInfo.InvariantCulture);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = KeyOf(stateName, grainId);
        var state = grainState.State as VisitorState
            ?? throw new ArgumentException($"this storage keeps only {nameof(VisitorState)}, not {typeof(T).Name}", nameof(grainState));
        var write = new PendingWrite(new VisitorRowWrite(
            key, _serializer.Serialize(grainState.State).ToArray(), VersionOf(grainState.ETag), await _pseudonyms.PidOfAsync(key), state));
        await _writes.EnqueueAsync(write);
        grainState.ETag = write.NewVersion.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <summary>Refused: nothing here clears a visitor (forgetting deletes the row, see <see cref="VisitorEraser"/>).</summary>
    /// <remarks>
    /// A cleared row would keep the key with no payload, as the ADO.NET provider's clear does; no
    /// code path of this service wants that, so there is nothing to keep tested.
    /// </remarks>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        throw new NotSupportedException("visitors are erased (VisitorEraser), never cleared");

    public void Participate(ISiloLifecycle lifecycle) =>
        // Stopped after the grains (whose visits may still be waiting here) are gone.
        lifecycle.Subscribe(nameof(GroupedVisitorStorage), ServiceLifecycleStage.RuntimeStorageServices, _ => Task.CompletedTask, _ => StopAsync());

    /// <summary>Refuses new reads and writes, and completes once every accepted one is done.</summary>
    internal Task StopAsync() => Task.WhenAll(_reads.StopAsync(), _writes.StopAsync());

    private async Task ReadBatchAsync(IReadOnlyList<PendingRead> batch)
    {
        BallMetrics.StorageBatchSize.Record(batch.Count, BallMetrics.OperationTag("read"));
        var keys = batch.Select(r => r.Key).Distinct(StringComparer.Ordinal).ToArray();
        var rows = await ThroughFailoverAsync("visitor reads", () => ReadRowsAsync(keys));
        foreach (var read in batch)
        {
            if (rows.TryGetValue(read.Key, out var row))
            {
                (read.Payload, read.Version) = row;
            }

            read.Complete();
        }
    }

    private async Task<Dictionary<string, (byte[]? Payload, int Version)>> ReadRowsAsync(string[] keys)
    {
        var rows = new Dictionary<string, (byte[]? Payload, int Version)>(keys.Length, StringComparer.Ordinal);
        await using (var command = _dataSource.CreateCommand(ReadSql))
        {
            command.Parameters.Add(new() { Value = _serviceId });
            command.Parameters.Add(new() { Value = StorageNames.VisitorState });
            command.Parameters.Add(new() { Value = keys });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = (reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1), reader.GetInt32(2));
            }
        }

        return rows;
    }

    private async Task WriteBatchAsync(IReadOnlyList<PendingWrite> batch)
    {
        BallMetrics.StorageBatchSize.Record(batch.Count, BallMetrics.OperationTag("write"));
        // One write per row and statement. Two writers of one visitor in one batch (duplicate
        // activations, or two attempts of a new visitor's first visit) expect the same version at
        // best, so at most one of them could win: the first goes, the others are stale, as they
        // would be one batch later. They hear so only once the first's commit has returned: a
        // caller told "stale" reads the row back, and must find the first's write there. Should
        // the batch fail, the lane fails them with it.
        var sent = new SortedDictionary<string, PendingWrite>(StringComparer.Ordinal);
        var later = new List<PendingWrite>();
        foreach (var write in batch)
        {
            if (!sent.TryAdd(write.Key, write))
            {
                later.Add(write);
            }
        }

        // Sorted by key (ordinal, as the C collation sorts): the order every writer locks rows in,
        // so two batches never wait on each other in a cycle. Should PostgreSQL roll one back all
        // the same (a deadlock or a serialization failure), nothing of it committed and every
        // row is version-checked: sending it again is safe, once (DatabaseRetries.RolledBack),
        // with a failover window of its own.
        var rows = sent.Values.ToArray();
        var written = await _rolledBack.RunAsync(_clock, "visitor writes", _ => ThroughFailoverAsync("visitor writes", () => WriteRowsAsync(rows)));

        foreach (var write in rows)
        {
            if (written.TryGetValue(write.Key, out var version))
            {
                write.NewVersion = version;
                write.Complete();
            }
            else
            {
                write.Fail(Stale(write.ExpectedVersion?.ToString(CultureInfo.InvariantCulture)));
            }
        }

        foreach (var write in later)
        {
            write.Fail(Stale(write.ExpectedVersion?.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private async Task<Dictionary<string, int>> WriteRowsAsync(PendingWrite[] rows)
    {
        var written = new Dictionary<string, int>(rows.Length, StringComparer.Ordinal);
        await using var connection = await _dataSource.OpenConnectionAsync();
        // One statement in its own (implicit) transaction, so one round trip: PostgreSQL commits
        // it as soon as it has run, whatever this process does next. With an explicit BEGIN ...
        // COMMIT, a silo that froze between the statement and its COMMIT held these rows' locks
        // until it woke, and every other silo's write of those visitors waited behind it
        // (measured: a 15 s freeze stalled them 15 s).
        await using var command = VisitorRowWrite.Command(_serviceId, [.. rows.Select(w => w.Row)]);
        command.Connection = connection;
        // The rows come back before the commit; none is reported written before it (CommittedStatement).
        await CommittedStatement.RunAsync(_dataSource, command, reader => written[reader.GetString(0)] = reader.GetInt32(1));
        return written;
    }

    /// <summary>
    /// Runs <paramref name="attempt"/>, and again while it finds no primary, for up to
    /// <see cref="VisitorStorageOptions.FailoverRetryWindow"/> (none with a single server):
    /// the <see cref="DatabaseRetries.Failover"/> pipeline, which names the <paramref name="operation"/> in its telemetry.
    /// </summary>
    /// <remarks>
    /// Each retry first drops the pooled connections: those to a server that was demoted or died
    /// would each fail once more before Npgsql noticed. Npgsql then connects to whichever server
    /// the connection string's <c>Target Session Attributes</c> accepts.
    /// </remarks>
    private Task<T> ThroughFailoverAsync<T>(string operation, Func<Task<T>> attempt) =>
        _failover.RunAsync(_clock, operation, _ => attempt());

    /// <summary>
    /// The operation certainly did not commit, and the reason is the primary: none reachable (a
    /// failed connect, or a read that broke off: Npgsql's own exceptions; a write that broke off
    /// after it was sent is a <see cref="CommitOutcomeUnknownException"/> instead), or one that is
    /// read-only now (demoted, or a standby not yet writable), or shutting down or starting.
    /// </summary>
    internal static bool FoundNoPrimary(Exception ex) => ex switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.ReadOnlySqlTransaction
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown,
        NpgsqlException => true,
        _ => false,
    };

    private static string KeyOf(string stateName, GrainId grainId)
    {
        if (stateName != StorageNames.VisitorState)
        {
            throw new ArgumentException($"this storage keeps only '{StorageNames.VisitorState}' state, not '{stateName}'", nameof(stateName));
        }

        return grainId.Key.ToString()!;
    }

    private static int? VersionOf(string? etag) =>
        etag is null ? null : int.Parse(etag, NumberStyles.None, CultureInfo.InvariantCulture);

    private static InconsistentStateException Stale(string? etag) =>
        new("The stored visitor changed since it was read", storedEtag: "unknown", currentEtag: etag ?? "none");

    private sealed class PendingRead(string key) : PendingOperation
    {
        public string Key { get; } = key;

        public byte[]? Payload { get; set; }

        public int? Version { get; set; }
    }

    private sealed class PendingWrite(VisitorRowWrite row) : PendingOperation
    {
        public VisitorRowWrite Row { get; } = row;

        public string Key => Row.Key;

        public int? ExpectedVersion => Row.ExpectedVersion;

        public int NewVersion { get; set; }
    }
}
