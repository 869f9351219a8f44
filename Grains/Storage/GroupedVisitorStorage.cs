using System.Globalization;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Storage;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// The visitors' grain storage in grouped mode: reads and writes join batches (<see cref="GroupCommit{T}"/>),
/// so one statement and one commit serve every visit waiting at that moment. Rows, payloads and
/// ETags are exactly those of the ADO.NET provider on our schema (001_grain_storage.sql).
/// </summary>
internal sealed class GroupedVisitorStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly string ReadSql = SqlQueries.Load("read_visitors.sql");
    private static readonly string WriteSql = SqlQueries.Load("write_visitors.sql");
    private static readonly string ClearSql = SqlQueries.Load("clear_visitor.sql");

    private readonly NpgsqlDataSource _dataSource;
    private readonly IGrainStorageSerializer _serializer;
    private readonly string _serviceId;
    private readonly GroupCommit<PendingRead> _reads;
    private readonly GroupCommit<PendingWrite> _writes;

    public GroupedVisitorStorage(
        NpgsqlDataSource dataSource, IGrainStorageSerializer serializer, IOptions<VisitorStorageOptions> options,
        IOptions<ClusterOptions> cluster, ILogger<GroupedVisitorStorage> logger)
    {
        _dataSource = dataSource;
        _serializer = serializer;
        _serviceId = cluster.Value.ServiceId;
        var o = options.Value;
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
        var write = new PendingWrite(KeyOf(stateName, grainId), _serializer.Serialize(grainState.State).ToArray(), VersionOf(grainState.ETag));
        await _writes.EnqueueAsync(write);
        grainState.ETag = write.NewVersion.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Rare (forgetting a visitor), so one statement of its own rather than a batch.
        await using var command = _dataSource.CreateCommand(ClearSql);
        command.Parameters.Add(new() { Value = KeyOf(stateName, grainId) });
        command.Parameters.Add(new() { Value = StorageNames.VisitorState });
        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = (object?)VersionOf(grainState.ETag) ?? DBNull.Value });
        var version = await command.ExecuteScalarAsync() as int?
            ?? throw Stale(grainState.ETag);
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        // Stopped after the grains (whose visits may still be waiting here) are gone.
        lifecycle.Subscribe(nameof(GroupedVisitorStorage), ServiceLifecycleStage.RuntimeStorageServices, _ => Task.CompletedTask, _ => StopAsync());

    /// <summary>Refuses new reads and writes, and completes once every accepted one is done.</summary>
    internal Task StopAsync() => Task.WhenAll(_reads.StopAsync(), _writes.StopAsync());

    private async Task ReadBatchAsync(IReadOnlyList<PendingRead> batch)
    {
        BallMetrics.StorageBatchSize.Record(batch.Count, BallMetrics.OperationTag("read"));
        var keys = batch.Select(r => r.Key).Distinct(StringComparer.Ordinal).ToArray();
        var rows = new Dictionary<string, (byte[]? Payload, int Version)>(keys.Length, StringComparer.Ordinal);
        await using (var command = _dataSource.CreateCommand(ReadSql))
        {
            command.Parameters.Add(new() { Value = keys });
            command.Parameters.Add(new() { Value = StorageNames.VisitorState });
            command.Parameters.Add(new() { Value = _serviceId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = (reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1), reader.GetInt32(2));
            }
        }

        foreach (var read in batch)
        {
            if (rows.TryGetValue(read.Key, out var row))
            {
                (read.Payload, read.Version) = row;
            }

            read.Complete();
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<PendingWrite> batch)
    {
        BallMetrics.StorageBatchSize.Record(batch.Count, BallMetrics.OperationTag("write"));
        // One write per row and statement. Two writers of one visitor in one batch (duplicate
        // activations) expect the same version at best, so at most one of them could win: the
        // first goes, the others are stale, as they would be one batch later.
        var sent = new Dictionary<string, PendingWrite>(batch.Count, StringComparer.Ordinal);
        foreach (var write in batch)
        {
            if (!sent.TryAdd(write.Key, write))
            {
                write.Fail(Stale(write.ExpectedVersion?.ToString(CultureInfo.InvariantCulture)));
            }
        }

        var written = new Dictionary<string, int>(sent.Count, StringComparer.Ordinal);
        await using (var connection = await _dataSource.OpenConnectionAsync())
        {
            // One statement in its own (implicit) transaction, so one round trip: PostgreSQL
            // commits it as soon as it has run, whatever this process does next. With an explicit
            // BEGIN ... COMMIT, a silo that froze between the statement and its COMMIT held these
            // rows' locks until it woke, and every other silo's write of those visitors waited
            // behind it (measured: a 15 s freeze stalled them 15 s).
            await using var command = new NpgsqlCommand(WriteSql, connection);
            command.Parameters.Add(new() { Value = sent.Keys.ToArray() });
            command.Parameters.Add(new() { Value = sent.Values.Select(w => w.Payload).ToArray() });
            command.Parameters.Add(new() { Value = sent.Values.Select(w => w.ExpectedVersion).ToArray() });
            command.Parameters.Add(new() { Value = StorageNames.VisitorState });
            command.Parameters.Add(new() { Value = _serviceId });
            try
            {
                // The rows come back before the commit; the reader's end waits for PostgreSQL's
                // ReadyForQuery, which follows the commit (or an error, such as a deferred
                // trigger's, if it failed). No write reports success before that.
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    written[reader.GetString(0)] = reader.GetInt32(1);
                }

                while (await reader.NextResultAsync())
                {
                }
            }
            catch (Exception ex) when (CommitOutcomeUnknownException.Leaves(ex))
            {
                // The statement went out; whether it committed is PostgreSQL's to know.
                throw new CommitOutcomeUnknownException(ex);
            }
        }

        foreach (var write in sent.Values)
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
    }

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

    private sealed class PendingWrite(string key, byte[] payload, int? expectedVersion) : PendingOperation
    {
        public string Key { get; } = key;

        public byte[] Payload { get; } = payload;

        public int? ExpectedVersion { get; } = expectedVersion;

        public int NewVersion { get; set; }
    }
}
