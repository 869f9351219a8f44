using BallOrleans.Grains.Storage;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>Which failed commits may have committed all the same, and which failures a failover may be waited out.</summary>
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

    [Fact]
    public void A_write_refused_as_read_only_or_a_failed_connect_waits_for_the_new_primary()
    {
        Assert.True(GroupedVisitorStorage.FoundNoPrimary(new PostgresException("cannot execute UPDATE in a read-only transaction", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction)));
        Assert.True(GroupedVisitorStorage.FoundNoPrimary(new NpgsqlException("No suitable host was found.")));
        Assert.True(GroupedVisitorStorage.FoundNoPrimary(new PostgresException("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow)));
    }

    [Fact]
    public void A_commit_without_an_answer_or_a_real_refusal_is_never_sent_again()
    {
        Assert.False(GroupedVisitorStorage.FoundNoPrimary(new CommitOutcomeUnknownException(new NpgsqlException("Exception while reading from stream"))));
        Assert.False(GroupedVisitorStorage.FoundNoPrimary(new PostgresException("stats shard missing", "ERROR", "ERROR", "23503")));
    }
}
