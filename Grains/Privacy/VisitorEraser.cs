using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Polly;
using Polly.Registry;

namespace BallOrleans.Grains.Privacy;

/// <summary>
/// Erases visitors, the same in both storage modes: <c>ball_visitors_erase</c> deletes their rows
/// by key and takes them out of the totals and days in the same transaction (Storage/Functions/visitors.sql).
/// </summary>
/// <remarks>
/// Its outcomes are classified as a visit's write is (<see cref="GroupedVisitorStorage"/>): an error
/// PostgreSQL sent is an answer, and nothing was erased; a connection that broke or timed out once
/// the statement went out, or a commit whose wait for the synchronous standby was cancelled
/// (<see cref="CommitWarnings"/>), leaves the outcome unknown, thrown as
/// <see cref="CommitOutcomeUnknownException"/>. A deadlock or serialization victim is sent again
/// once (<see cref="DatabaseRetries.RolledBack"/>), and an erasure that found no primary waits out a
/// failover (<see cref="DatabaseRetries.Failover"/>). Erasing is idempotent, so an unknown outcome
/// is settled by erasing again: that erasure's commit waits for the standby even when it finds
/// nothing left to delete, which confirms the earlier one too.
/// </remarks>
public sealed class VisitorEraser
{
    private const string EraseSql = "SELECT erased_key FROM ball_visitors_erase($1, $2, $3, $4, $5)";

    // No index covers last_seen (a visit changes it, and an index would stop the update being
    // HOT): retention finds the expired visitors with one scan per run, which runs daily.
    private const string ExpiredSql = """
        SELECT grain_key FROM ball_grain_state
        WHERE pid IS NOT NULL AND last_seen < $2 AND service_id = $1 AND state_name = 'visitor'
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _serviceId;
    private readonly ResiliencePipeline _failover;
    private readonly ResiliencePipeline _rolledBack;
    private readonly ResiliencePipeline _unknown;
    private readonly TimeProvider _clock;

    public VisitorEraser(
        NpgsqlDataSource dataSource, IOptions<ClusterOptions> cluster, ResiliencePipelineProvider<string> pipelines, TimeProvider clock)
    {
        _dataSource = dataSource;
        _serviceId = cluster.Value.ServiceId;
        _failover = pipelines.GetPipeline(DatabaseRetries.Failover);
        _rolledBack = pipelines.GetPipeline(DatabaseRetries.RolledBack);
        _unknown = pipelines.GetPipeline(DatabaseRetries.UnknownErasure);
        _clock = clock;
    }

    /// <summary>
    /// Deletes one visitor's row, booked under <paramref name="reason"/>; false when there was none
    /// (never stored, or erased already). Either answer is confirmed by a commit that waited for the
    /// synchronous standby. Throws <see cref="CommitOutcomeUnknownException"/> when the outcome is
    /// unknown (sending it again is safe), and the database's exception when nothing was erased.
    /// </summary>
    /// <remarks>
    /// Under the connection string's command timeout (5 s unless it says otherwise), not a batch's
    /// two minutes: someone is waiting for the answer, and one row's erasure waits only for that
    /// row's lock. A timeout is an unknown outcome, which the caller settles by erasing again.
    /// </remarks>
    public async Task<bool> EraseAsync(string visitorId, ErasureReason reason, CancellationToken cancellationToken = default) =>
        await EraseAsync([visitorId], notSeenSince: null, reason, commandTimeout: null, cancellationToken) == 1;

    /// <summary>The ids of every visitor not seen since <paramref name="cutoff"/>, for <see cref="EraseAsync(IReadOnlyList{string}, DateTimeOffset?, ErasureReason, CancellationToken)"/>.</summary>
    public async Task<List<string>> NotSeenSinceAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(ExpiredSql);
        command.CommandTimeout = 0;  // one scan of every visitor; a daily job, not a request
        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = cutoff.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// Deletes the visitors <paramref name="visitorIds"/> in one transaction; with
    /// <paramref name="notSeenSince"/>, only those still not seen since (a visit meanwhile keeps
    /// them). The erasure ledger books them under <paramref name="reason"/>, in the same
    /// transaction. Returns how many were erased. Outcomes as <see cref="EraseAsync(string, ErasureReason, CancellationToken)"/>.
    /// </summary>
    public Task<int> EraseAsync(
        IReadOnlyList<string> visitorIds, DateTimeOffset? notSeenSince, ErasureReason reason, CancellationToken cancellationToken = default) =>
        // A batch of a thousand erasures takes well under a second of the database's time.
        EraseAsync(visitorIds, notSeenSince, reason, commandTimeout: 120, cancellationToken);

    /// <summary>
    /// <see cref="EraseAsync(IReadOnlyList{string}, DateTimeOffset?, ErasureReason, CancellationToken)"/>,
    /// sent again while its outcome is unknown, for up to <see cref="DatabaseRetries.ErasurePatience"/>
    /// (<see cref="DatabaseRetries.UnknownErasure"/>); then the last unknown is thrown. For callers
    /// with no request waiting (retention). What a retry erases is what the unknown attempt left, so
    /// the count returned may miss visitors that attempt erased.
    /// </summary>
    public Task<int> EraseUntilKnownAsync(
        IReadOnlyList<string> visitorIds, DateTimeOffset? notSeenSince, ErasureReason reason, CancellationToken cancellationToken = default) =>
        _unknown.RunAsync(_clock, "visitor erasures", ct => EraseAsync(visitorIds, notSeenSince, reason, ct), cancellationToken);

    private Task<int> EraseAsync(
        IReadOnlyList<string> visitorIds, DateTimeOffset? notSeenSince, ErasureReason reason, int? commandTimeout, CancellationToken cancellationToken)
    {
        var ids = visitorIds.ToArray();
        // Nothing of a rolled-back attempt committed, so it is sent again once; within it, an
        // attempt that found no primary is tried again during a failover, as visits' writes are.
        return _rolledBack.RunAsync(_clock, "visitor erasures", _ => _failover.RunAsync(
            _clock, "visitor erasures", _ => EraseOnceAsync(ids, notSeenSince, reason, commandTimeout, cancellationToken)), cancellationToken);
    }

    private async Task<int> EraseOnceAsync(
        string[] visitorIds, DateTimeOffset? notSeenSince, ErasureReason reason, int? commandTimeout, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(EraseSql, connection);
        if (commandTimeout is { } seconds)
        {
            command.CommandTimeout = seconds;
        }

        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = StorageNames.VisitorState });
        command.Parameters.Add(new() { Value = visitorIds });
        command.Parameters.Add(new() { Value = (object?)notSeenSince?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = reason.Name() });
        // One statement in its own (implicit) transaction, as visits' writes are.
        var erased = 0;
        await CommittedStatement.RunAsync(_dataSource, command, _ => erased++, cancellationToken);
        return erased;
    }
}
