using System.Net.Sockets;
using BallOrleans.Grains.Storage;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// Which failures of a starting process's first connection <see cref="SchemaMigrator"/> waits
/// out. Npgsql reports a connection string of several hosts failing as one exception over an
/// AggregateException of each host's, which it does not call transient.
/// </summary>
public sealed class SchemaMigratorStartupTests
{
    [Fact]
    public void Every_host_timing_out_or_refusing_is_worth_another_try()
    {
        var timedOut = new NpgsqlException("The operation has timed out", new TimeoutException());
        var refused = new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused));
        var allHosts = new NpgsqlException("Unable to connect to a suitable host.", new AggregateException(timedOut, refused));

        Assert.False(allHosts.IsTransient); // Npgsql's own answer, which would end the start
        Assert.True(SchemaMigrator.IsTransient(allHosts));
        Assert.True(SchemaMigrator.IsTransient(timedOut));
    }

    [Fact]
    public void A_host_that_answered_no_is_not()
    {
        var timedOut = new NpgsqlException("The operation has timed out", new TimeoutException());
        var refused = new PostgresException("password authentication failed", "FATAL", "FATAL", PostgresErrorCodes.InvalidPassword);
        var allHosts = new NpgsqlException("Unable to connect to a suitable host.", new AggregateException(timedOut, refused));

        Assert.False(SchemaMigrator.IsTransient(allHosts));
        Assert.False(SchemaMigrator.IsTransient(new NpgsqlException("Unable to connect to a suitable host.", new AggregateException())));
    }
}
