using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// A write whose commit was sent but not answered (the connection broke, or timed out): PostgreSQL
/// may have committed it. Not "not stored": the caller must say it does not know.
/// </summary>
public sealed class CommitOutcomeUnknownException(Exception inner)
    : Exception("The connection failed while PostgreSQL was committing; the write may or may not be stored", inner)
{
    /// <summary>
    /// Whether a failed commit may have committed all the same. An error PostgreSQL sent (a
    /// constraint, a deferred trigger, a serialization failure) is an answer: rolled back. Anything
    /// else (a broken connection, a timeout) left the commit's fate with the server, and so does
    /// a server shutting down (class 57P: its failover tool demoting it, an operator stopping it):
    /// a backend told to end while it waits for the synchronous standby has already committed
    /// locally, and that standby may hold the commit too.
    /// </summary>
    public static bool Leaves(Exception commitFailure) =>
        commitFailure is not PostgresException { SqlState: not (PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown) };
}
