using Npgsql;

namespace BallOrleans.Tests.Deploy;

/// <summary>
/// The CloudNativePG cluster in <c>deploy/k8s/postgres.yaml</c>, read, not run (no Kubernetes
/// here): three instances, a commit confirmed by a standby, and the clients pointed at the
/// Service that follows the primary.
/// </summary>
public sealed class DatabaseManifestTests
{
    private static readonly Map Database = Manifests.Named("Cluster", "ball-db");

    [Fact]
    public void Three_instances_on_different_nodes()
    {
        Assert.Equal("postgresql.cnpg.io/v1", Database.Text("apiVersion"));
        Assert.Equal("3", Database.Get("spec").Text("instances"));
        Assert.Equal("required", Database.Get("spec").Get("affinity").Text("podAntiAffinityType"));
    }

    [Fact]
    public void Every_commit_waits_for_a_standby_even_when_standbys_are_lost()
    {
        var postgresql = Database.Get("spec").Get("postgresql");
        var synchronous = postgresql.Get("synchronous");
        Assert.True(int.Parse(synchronous.Text("number")!) >= 1);
        Assert.Equal("required", synchronous.Text("dataDurability"));
        Assert.Equal("on", postgresql.Get("parameters").Text("synchronous_commit"));
    }

    [Fact]
    public void The_clients_connect_to_the_service_that_follows_the_primary()
    {
        var example = Manifests.Named("Secret", "ball-postgres").Get("stringData").Text("connection-string")!;
        var builder = new NpgsqlConnectionStringBuilder(example);
        Assert.Equal($"{Database.Get("metadata").Text("name")}-rw", builder.Host);
        Assert.Equal(Database.Get("spec").Get("bootstrap").Get("initdb").Text("database"), builder.Database);
        Assert.Equal(Database.Get("spec").Get("bootstrap").Get("initdb").Text("owner"), builder.Username);
    }
}
