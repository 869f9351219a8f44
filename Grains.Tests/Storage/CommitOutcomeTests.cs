using BallOrleans.Grains.Storage;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>Which failed commits may have committed all the same.</summary>
public sealed class CommitOutcomeTests
{
    [Fact]
    public void An_error_PostgreSQL_sent_is_an_answer_the_commit_failed()
    {
        var deferredTrigger = new PostgresException("stats shard missing", "ERROR", "ERROR", "23503");

        Assert.False(CommitOutcomeUnknownException.Leaves(deferredTrigger));
    }

    [Fact]
    public void A_broken_connection_or_a_timeout_leaves_the_commit_unknown()
    {
        Assert.True(CommitOutcomeUnknownException.Leaves(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())));
        Assert.True(CommitOutcomeUnknownException.Leaves(new TimeoutException()));
    }

    /// <remarks>
    /// What a primary's backend says when the failover tool stops it while the commit waits for the
    /// synchronous standby: committed locally, perhaps on the standby too, answered with an error.
    /// </remarks>
    [Fact]
    public void A_server_shutting_down_mid_commit_leaves_the_commit_unknown()
    {
        Assert.True(CommitOutcomeUnknownException.Leaves(new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown)));
        Assert.True(CommitOutcomeUnknownException.Leaves(new PostgresException("terminating connection because of crash of another server process", "FATAL", "FATAL", PostgresErrorCodes.CrashShutdown)));
    }
}
