using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// One cluster for every transport test, started once: a private PostgreSQL, two silos and the web
/// front end, each in a network namespace of its own, all with certificates of the cluster's CA
/// (made by cluster.sh); and the certificates of an intruder, from a CA of its own.
/// </summary>
public sealed class TransportCluster : IAsyncLifetime
{
    private readonly PostgresServer _postgres = PostgresServer.Private("transport");
    private string? _intruderDirectory;

    /// <summary>
    /// Every process's <c>Metrics:Port</c>, as in the manifests: each has a network namespace of
    /// its own, so one number serves all.
    /// </summary>
    public const int MetricsPort = 9090;

    /// <summary>Why the tests cannot run on this machine, or null when they can.</summary>
    public static string? Unavailable { get; } = NetworkNamespaces.Unavailable();

    public LocalCluster Cluster { get; private set; } = null!;

    public NetworkNamespaces Network { get; private set; } = null!;

    public string Database { get; private set; } = "";

    /// <summary>
    /// Settings of a process that holds a certificate from another CA and trusts both that CA and
    /// the cluster's (whose certificate is no secret): it passes its own checks and accepts the
    /// silos, so whatever refuses it is the other side.
    /// </summary>
    public Dictionary<string, string?> OtherCa(string role, string name)
    {
        var settings = LocalCluster.CertificateAsync(_intruderDirectory!, role, name).GetAwaiter().GetResult();
        var both = Path.Combine(_intruderDirectory!, "both-cas.pem");
        File.WriteAllText(both, File.ReadAllText(settings["Orleans__Tls__CaPath"]!) + File.ReadAllText(Path.Combine(Cluster.RunDirectory, "tls", "ca.pem")));
        settings["Orleans__Tls__CaPath"] = both;
        return settings;
    }

    public async Task InitializeAsync()
    {
        if (Unavailable is not null)
        {
            return;
        }

        await _postgres.InitializeAsync();
        Database = await _postgres.CreateDatabaseAsync("transport");
        Network = NetworkNamespaces.Pick();
        // What is tested here is who may talk, not how fast a dead silo is noticed: membership
        // with Orleans' patient probes, so that a busy machine's slow handshakes never get the
        // control silo voted dead while it joins.
        var patient = new Dictionary<string, string?>
        {
            ["Orleans__Membership__ProbeTimeout"] = "00:00:05",
            ["Orleans__Membership__MaxProbeTimeout"] = "00:00:05",
            ["Orleans__Membership__NumMissedProbesLimit"] = "3",
            ["Metrics__Port"] = MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        Cluster = await LocalCluster.StartAsync(Database, silos: 2, patient, Network);
        _intruderDirectory = Directory.CreateTempSubdirectory("ball-intruder-").FullName;
    }

    public async Task DisposeAsync()
    {
        if (Unavailable is not null)
        {
            return;
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync(); // stops the processes and removes the network
        }

        if (_intruderDirectory is not null)
        {
            Directory.Delete(_intruderDirectory, recursive: true);
        }

        await _postgres.DisposeAsync();
    }
}
