using BallOrleans.Grains.Storage;
using Npgsql;

namespace BallOrleans.Tests.Deploy;

/// <summary>
/// The CloudNativePG cluster in <c>deploy/k8s/postgres.yaml</c>, read, not run (no Kubernetes
/// here): three instances, a commit confirmed by a standby, the clients pointed at the Service that
/// follows the primary and verifying its certificate, password logins over TLS only, and a network
/// policy that names who may connect.
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
        var builder = new NpgsqlConnectionStringBuilder(ExampleConnectionString);
        Assert.Equal($"{Database.Get("metadata").Text("name")}-rw", builder.Host);
        Assert.Equal(Database.Get("spec").Get("bootstrap").Get("initdb").Text("database"), builder.Database);
        // Silos and web pods log in as the runtime role, never as the owner.
        Assert.Equal(SchemaMigrator.RuntimeRole, builder.Username);
        Assert.NotEqual(Database.Get("spec").Get("bootstrap").Get("initdb").Text("owner"), builder.Username);
    }

    [Fact]
    public void The_runtime_role_is_a_login_with_no_other_attribute_and_its_own_password_secret()
    {
        var role = Database.Get("spec").Get("managed").List("roles").Single(r => r.Text("name") == SchemaMigrator.RuntimeRole);
        Assert.Equal("true", role.Text("login"));
        Assert.All(new[] { "superuser", "createdb", "createrole", "replication", "bypassrls" }, a => Assert.Equal("false", role.Text(a)));
        Assert.Empty(role.List("inRoles"));
        var secret = Manifests.Example("Secret", role.Get("passwordSecret").Text("name")!);
        Assert.Equal("kubernetes.io/basic-auth", secret.Text("type"));
        Assert.Equal(SchemaMigrator.RuntimeRole, secret.Get("stringData").Text("username"));
    }

    /// <summary>Only the migration Job gets the owner's login, and it runs <c>migrate</c>; no Deployment can migrate.</summary>
    [Fact]
    public void Only_the_migration_job_logs_in_as_the_owner()
    {
        var job = Manifests.Named("Job", "ball-migrate");
        var pod = job.Get("spec").Get("template").Get("spec");
        var container = pod.List("containers").Single();
        Assert.Equal(["migrate"], container.Texts("args"));
        Assert.Equal("ball-migrate", job.Get("spec").Get("template").Get("metadata").Get("labels").Text("app"));
        var secretRef = container.List("env").Single(e => e.Text("name") == "ConnectionStrings__" + PostgresConnection.OwnerConfigKey).Get("valueFrom").Get("secretKeyRef");
        var owner = new NpgsqlConnectionStringBuilder(Manifests.Example("Secret", secretRef.Text("name")!).Get("stringData").Text(secretRef.Text("key")!));
        Assert.Equal(Database.Get("spec").Get("bootstrap").Get("initdb").Text("owner"), owner.Username);
        Assert.Equal(SslMode.VerifyFull, owner.SslMode);
        Assert.All(Manifests.OfKind("Deployment"), d => Assert.DoesNotContain(
            d.Get("spec").Get("template").Get("spec").List("containers").SelectMany(c => c.List("env")),
            e => e.Text("name") == "ConnectionStrings__" + PostgresConnection.OwnerConfigKey || e.Find("valueFrom")?.Find("secretKeyRef")?.Text("name") == secretRef.Text("name")));
    }

    /// <remarks>
    /// Npgsql's default (<c>Prefer</c>) takes plain text when the server offers no TLS and checks
    /// no certificate, so anyone who answers on the Service's address gets the password's SCRAM
    /// exchange and every row. VerifyFull checks the chain to the operator's server CA and that the
    /// certificate names the host (CloudNativePG names its -rw Service in it).
    /// </remarks>
    [Theory]
    [InlineData("ball-silo")]
    [InlineData("ball-web")]
    public void Clients_verify_the_server_certificate_against_the_operators_ca(string deployment)
    {
        var builder = new NpgsqlConnectionStringBuilder(ExampleConnectionString);
        Assert.Equal(SslMode.VerifyFull, builder.SslMode);

        // The root certificate is ca.crt of the operator's CA Secret, mounted in the pod, and
        // nothing else of that Secret: it also holds the CA's key.
        var pod = Manifests.Named("Deployment", deployment).Get("spec").Get("template").Get("spec");
        var ca = $"{Database.Get("metadata").Text("name")}-ca";
        var volume = pod.List("volumes").Single(v => v.Find("secret")?.Text("secretName") == ca);
        var items = volume.Get("secret").List("items").ToList();
        Assert.Equal(["ca.crt"], items.Select(i => i.Text("key")));
        var mount = pod.List("containers").Single().List("volumeMounts").Single(m => m.Text("name") == volume.Text("name"));
        Assert.Equal("true", mount.Text("readOnly"));
        Assert.Equal($"{mount.Text("mountPath")}/{items[0].Text("path")}", builder.RootCertificate);

        var secretRef = pod.List("containers").Single().List("env")
            .Single(e => e.Text("name") == "ConnectionStrings__" + PostgresConnection.ConfigKey).Get("valueFrom").Get("secretKeyRef");
        Assert.Equal("ball-postgres", secretRef.Text("name"));
    }

    /// <remarks>
    /// CloudNativePG puts these rules after its own (local peer; hostssl with certificates for
    /// replication and the pooler) and before its default, <c>host all all all scram-sha-256</c>,
    /// which would take a password without TLS: the last rule here refuses everything the others
    /// did not admit, so that default is never reached.
    /// </remarks>
    [Fact]
    public void Only_password_logins_over_tls_to_the_application_database_are_admitted()
    {
        var rules = Database.Get("spec").Get("postgresql").Texts("pg_hba")
            .Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();

        Assert.NotEmpty(rules);
        Assert.Equal(["host", "all", "all", "all", "reject"], rules[^1]);
        Assert.All(rules.Where(r => r[^1] != "reject"), r =>
        {
            Assert.Equal("hostssl", r[0]);
            Assert.Equal(Database.Get("spec").Get("bootstrap").Get("initdb").Text("database"), r[1]);
            Assert.Equal("scram-sha-256", r[^1]);
        });
    }

    [Fact]
    public void Only_the_application_its_migrations_the_instances_and_the_operator_reach_the_database()
    {
        var instances = new Dictionary<string, string> { ["cnpg.io/cluster"] = Database.Get("metadata").Text("name")! };
        const string Operator = "namespace=kubernetes.io/metadata.name=cnpg-system; pods=app.kubernetes.io/name=cloudnative-pg";

        var postgres = NetworkPolicies.AllowedPeers(instances, "5432");
        Assert.NotNull(postgres);
        Assert.Equal(
            ["namespace=(own); pods=app=ball-migrate", "namespace=(own); pods=app=ball-silo", "namespace=(own); pods=app=ball-web",
             "namespace=(own); pods=cnpg.io/cluster=ball-db", Operator],
            postgres.Select(NetworkPolicies.Describe).Order(StringComparer.Ordinal));
        var status = NetworkPolicies.AllowedPeers(instances, "8000");
        Assert.NotNull(status);
        Assert.Equal([Operator], status.Select(NetworkPolicies.Describe));

        // No other port, and no rule for every port.
        var ports = NetworkPolicies.Selecting(instances).SelectMany(p => p.Get("spec").List("ingress"))
            .Select(rule => rule.List("ports").Select(p => p.Text("port")).ToList())
            .ToList();
        Assert.All(ports, Assert.NotEmpty);
        Assert.Equal(["5432", "8000"], ports.SelectMany(p => p).Distinct().Order());
    }

    private static string ExampleConnectionString =>
        Manifests.Example("Secret", "ball-postgres").Get("stringData").Text("connection-string")!;
}
