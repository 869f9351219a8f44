using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// The warnings PostgreSQL sends on one connection while a write runs. A commit whose wait for its
/// synchronous standby is cancelled (by the client's cancel request after a command timeout) does
/// not fail: PostgreSQL keeps it, committed on the primary alone, and says so only in a WARNING
/// (SQLSTATE 01000, "canceling wait for synchronous replication"), which Npgsql passes to the
/// connection's <see cref="NpgsqlConnection.Notice"/> event and otherwise treats as success.
/// </summary>
/// <remarks>
/// Any plain WARNING (01000) during a write counts, not only that one's text, which is translated
/// with the server's language: the write functions raise none of their own, so one that arrives
/// means the server had something to say about the commit, and "unknown" is the honest answer.
/// </remarks>
internal sealed class CommitWarnings : IDisposable
{
    private readonly NpgsqlConnection _connection;
    private PostgresNotice? _first;

    public CommitWarnings(NpgsqlConnection connection)
    {
        _connection = connection;
        _connection.Notice += OnNotice;
    }

    /// <summary>Throws <see cref="CommitOutcomeUnknownException"/> when a warning arrived.</summary>
    public void ThrowIfAny()
    {
        if (_first is { } warning)
        {
            throw new CommitOutcomeUnknownException(new InvalidOperationException(
                $"PostgreSQL warned while committing: {warning.MessageText} ({warning.Detail})"));
        }
    }

    public void Dispose() => _connection.Notice -= OnNotice;

    private void OnNotice(object? sender, NpgsqlNoticeEventArgs e)
    {
        if (e.Notice is { InvariantSeverity: "WARNING", SqlState: PostgresErrorCodes.Warning })
        {
            _first ??= e.Notice;
        }
    }
}
