using System.Net.Sockets;
using BallOrleans.Web.Visits;
using Npgsql;
using Orleans.Runtime;

namespace BallOrleans.Tests.Cluster;

/// <summary>Which failures the web tier retries: the cluster's, never the database's.</summary>
public sealed class ClusterFaultsTests
{
    [Fact]
    public void A_dead_or_slow_silo_is_worth_a_retry()
    {
        Assert.True(ClusterFaults.IsTransient(new SiloUnavailableException()));
        Assert.True(ClusterFaults.IsTransient(new TimeoutException("Response did not arrive on time")));
        Assert.True(ClusterFaults.IsTransient(new OrleansException("wrapped", new SiloUnavailableException())));
    }

    [Fact]
    public void A_grain_the_runtime_could_not_place_or_register_while_membership_changes_is_worth_a_retry()
    {
        Assert.True(ClusterFaults.IsTransient(new OrleansException("Trying to register visitor/x on invalid silo: S10.0.0.1:11114:1. Known status: Dead")));
        Assert.True(ClusterFaults.IsTransient(new OrleansException("Message expired before placement could complete for grain visitor/x.")));
    }

    [Fact]
    public void A_database_failure_is_never_retried_even_when_a_socket_error_lies_beneath()
    {
        var refused = new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused));
        var activation = new OrleansException("Error from storage provider during ReadStateAsync", refused);

        Assert.False(ClusterFaults.IsTransient(refused));
        Assert.False(ClusterFaults.IsTransient(activation));
        Assert.True(DatabaseFailure.IsCauseOf(activation));
    }

    [Fact]
    public void A_bug_is_not_a_fault_of_the_cluster()
    {
        Assert.False(ClusterFaults.IsTransient(new InvalidOperationException("a first visit always has a view")));
        Assert.False(DatabaseFailure.IsCauseOf(new SiloUnavailableException()));
    }
}
