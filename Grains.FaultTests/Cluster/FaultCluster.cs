using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// The one cluster every fault scenario runs on, started once: a private PostgreSQL (a scenario
/// crashes it), three silos and the web front end each in a network namespace of its own, and on
/// the host side of the bridge a <see cref="DelayProxy"/> for every silo port, gateway port and the
/// database, through which all their traffic passes, so that a scenario can slow a link down.
/// (Silo 4 has relays too, for a silo that joins for one scenario.)
/// </summary>
public sealed class FaultCluster : IAsyncLifetime
{
    public const int Silos = 3;

    /// <summary>Silo slots with relays: the three, and one for a silo that joins for one scenario.</summary>
    public const int Slots = Silos + 1;

    private const string AdminPassword = "fault-scenarios-7qX2vK"; // 16 characters or more, 8 different, no placeholder word
    private readonly PostgresServer _postgres = PostgresServer.Private("faults");
    private readonly List<DelayProxy> _siloLinks = [];
    private readonly List<DelayProxy> _gatewayLinks = [];
    private NetworkNamespaces? _network;
    private string? _runDirectory;

    /// <summary>Why the scenarios cannot run on this machine, or null when they can.</summary>
    public static string? Unavailable { get; } = NetworkNamespaces.Unavailable();

    public LocalCluster Cluster { get; private set; } = null!;

    public PostgresServer Postgres => _postgres;

    public string Database { get; private set; } = "";

    /// <summary>The silos' links to PostgreSQL.</summary>
    public DelayProxy DatabaseLink { get; private set; } = null!;

    /// <summary>The links into each silo's silo port: all silo-to-silo traffic.</summary>
    public IReadOnlyList<DelayProxy> SiloLinks => _siloLinks;

    /// <summary>A client for <c>/api/stats</c> with the admin credential (the tests are not loopback to the site).</summary>
    public HttpClient Stats { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Unavailable is not null)
        {
            return;
        }

        await _postgres.InitializeAsync();
        Database = await _postgres.CreateDatabaseAsync("faults");
        _network = NetworkNamespaces.Pick();
        var reserved = LocalCluster.Reserve();
        _runDirectory = reserved.RunDirectory;
        await _network.UpAsync(_runDirectory);
        var host = _network.HostSide;
        DatabaseLink = new DelayProxy(new IPEndPoint(host, 0), new IPEndPoint(IPAddress.Loopback, _postgres.Port));
        for (var i = 1; i <= Slots; i++)
        {
            _siloLinks.Add(new DelayProxy(new(host, reserved.SiloPort + i - 1), new(_network.Silo(i), reserved.SiloPort + i - 1)));
            _gatewayLinks.Add(new DelayProxy(new(host, reserved.GatewayPort + i - 1), new(_network.Silo(i), reserved.GatewayPort + i - 1)));
        }

        var settings = new Dictionary<string, string?>
        {
            ["CLUSTER_NETNS_RELAYED"] = "1",
            ["CLUSTER_NETNS_DB"] = $"{host}:{DatabaseLink.ListensOn.Port}",
            ["Stats__AdminPassword"] = AdminPassword,
            // The scenario reads /api/stats from the host side of the bridge, over plain HTTP on a
            // link nobody else is on: what a proxy that ends TLS in front of the site looks like.
            ["Stats__TlsEndsAtProxy"] = "true",
            // Every visitor of the load comes from one address, the host side of the bridge.
            ["NewVisitors__PerAddressPerSecond"] = "0",
            // Logs that can be laid beside the scenario's own clock (it prints when the fault began and ended).
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };
        Cluster = await LocalCluster.StartAsync(Database, Silos, settings, _network, reserved);
        Stats = new HttpClient { BaseAddress = Cluster.Site, Timeout = TimeSpan.FromSeconds(5) };
        Stats.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
    }

    /// <summary>
    /// Undoes whatever a scenario left: no partition, loss or delay, and every silo running and
    /// active in the membership table, restarting any that died or stopped itself (what a
    /// supervisor would do). Returns how long that took, and which silos had to be started.
    /// </summary>
    public async Task<(TimeSpan Took, IReadOnlyList<int> Restarted)> MakeWholeAsync()
    {
        var took = Stopwatch.StartNew();
        var restarted = new SortedSet<int>();
        await Cluster.CommandAsync("heal");
        for (var i = 1; i <= Silos; i++)
        {
            if (Cluster.SiloRunning(i))
            {
                await Cluster.CommandAsync("thaw", i.ToString()); // harmless unless a scenario failed while it was frozen
            }
        }

        DatabaseLink.NoDelay();
        foreach (var link in _siloLinks)
        {
            link.NoDelay();
        }

        while (true)
        {
            var whole = true;
            for (var i = 1; i <= Silos; i++)
            {
                if (!Cluster.SiloRunning(i))
                {
                    await Cluster.CommandAsync("start-silo", i.ToString());
                    restarted.Add(i);
                }

                whole &= Cluster.SiloRunning(i) && await ClusterProbe.SiloStatusAsync(Database, Cluster.SiloPort(i)) == ClusterProbe.Active;
            }

            if (whole)
            {
                return (took.Elapsed, [.. restarted]);
            }

            if (took.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new TimeoutException($"the cluster was not whole again within 90 s\n{Cluster.Logs()}");
            }

            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        if (Unavailable is not null)
        {
            return;
        }

        Stats?.Dispose();
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync(); // stops the processes and removes the network
        }
        else if (_network is not null && _runDirectory is not null)
        {
            await _network.DownAsync(_runDirectory);
        }

        foreach (var link in _siloLinks.Concat(_gatewayLinks).Append(DatabaseLink).OfType<DelayProxy>())
        {
            await link.DisposeAsync();
        }

        await _postgres.DisposeAsync();
    }
}
