using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// One statement in its own implicit transaction, its rows read to the end, with the outcome told
/// as the visit path tells it: the reader's end waits for PostgreSQL's ReadyForQuery, which follows
/// the commit (or the error that rolled it back), so nothing reports success before the commit.
/// Visit batches and erasures both run their writes through it.
/// </summary>
internal static class CommittedStatement
{
    /// <summary>
    /// Runs <paramref name="command"/> (on an open connection of <paramref name="dataSource"/>),
    /// handing each row to <paramref name="onRow"/>. A connection that failed after the statement
    /// went out throws <see cref="CommitOutcomeUnknownException"/> and drops the pool's other
    /// connections; a commit PostgreSQL answered with a warning (a cancelled wait for the
    /// synchronous standby) throws from <see cref="CommitWarnings.ThrowIfAny"/>.
    /// </summary>
    public static async Task RunAsync(
        NpgsqlDataSource dataSource, NpgsqlCommand command, Action<NpgsqlDataReader> onRow, CancellationToken cancellationToken = default)
    {
        using var warnings = new CommitWarnings(command.Connection!);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                onRow(reader);
            }

            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }
        catch (Exception ex) when (CommitOutcomeUnknownException.Leaves(ex))
        {
            // The statement went out; whether it committed is PostgreSQL's to know. The other
            // pooled connections to that server are as doubtful (it may be cut off, frozen or
            // demoted, and a silent one costs each statement a command timeout): drop them, so the
            // next statement connects afresh to whichever server takes writes now.
            dataSource.Clear();
            throw new CommitOutcomeUnknownException(ex);
        }

        // Success, but with a warning: the commit's wait for its synchronous standby was cancelled
        // (Npgsql cancels a command that outlasts its timeout), and PostgreSQL kept the commit on
        // the primary alone. Not a success, then: whether a standby will hold it is unknown.
        warnings.ThrowIfAny();
    }
}
