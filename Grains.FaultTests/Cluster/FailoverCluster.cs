using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using BallOrleans.Tests.Infrastructure;
using Npgsql;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// The cluster the database fault scenarios run on, started once: <c>cluster.sh start --netns
/// --pg-ha 3</c>, so three PostgreSQL nodes under pg_auto_failover (a primary and two synchronous
/// standbys) and its monitor, three silos and the web front end, each in a network namespace of
/// its own. Silos and site reach the database through the multi-host connection string.
/// </summary>
public sealed class FailoverCluster : IAsyncLifetime
{
    public const int Silos = 3;

    public const int DatabaseNodes = 3;

    private const string AdminPassword = "failover-scenarios-4Tz8wQ"; // 16 characters or more, 8 different, no placeholder word
    private NetworkNamespaces? _network;
    private string? _runDirectory;

    /// <summary>Why the scenarios cannot run on this machine, or null when they can.</summary>
    public static string? Unavailable { get; } = NetworkNamespaces.Unavailable();

    public LocalCluster Cluster { get; private set; } = null!;

    /// <summary>The multi-host connection string the silos and the site use.</summary>
    public string Database { get; private set; } = "";

    /// <summary>A client for <c>/api/stats</c> with the admin credential (the tests are not loopback to the site).</summary>
    public HttpClient Stats { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Unavailable is not null)
        {
            return;
        }

        _network = NetworkNamespaces.Pick();
        var reserved = LocalCluster.Reserve();
        _runDirectory = reserved.RunDirectory;
        var settings = new Dictionary<string, string?>
        {
            ["Stats__AdminPassword"] = AdminPassword,
            ["Stats__TlsEndsAtProxy"] = "true",
            ["NewVisitors__PerAddressPerSecond"] = "0",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };
        // cluster.sh replaces this with the HA nodes' connection string; it only has to be there.
        Cluster = await LocalCluster.StartAsync("Host=unused", Silos, settings, _network, reserved, "--pg-ha", DatabaseNodes.ToString());
        Database = (await Cluster.CommandAsync("pg", "connection")).Trim();
        Monitor = (await Cluster.CommandAsync("pg", "monitor")).Trim();
        Stats = new HttpClient { BaseAddress = Cluster.Site, Timeout = TimeSpan.FromSeconds(5) };
        Stats.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{AdminPassword}")));
    }

    /// <summary>The pg_auto_failover monitor's database, reached from the host side of the bridge.</summary>
    public string Monitor { get; private set; } = "";

    /// <summary>
    /// The database node that is primary now (1-based), as the monitor records it: reported and
    /// assigned alike (a dead old primary stays "reported primary" until it rejoins). Asked
    /// directly, not through cluster.sh: on a loaded machine a script's <c>ip netns exec</c> alone can take seconds.
    /// </summary>
    public async Task<int> PrimaryAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Monitor) { Pooling = false, Timeout = 2 }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT nodeid FROM pgautofailover.node WHERE reportedstate = goalstate " +
            "AND reportedstate IN ('primary', 'wait_primary', 'single') ORDER BY nodeid LIMIT 1", connection);
        return await command.ExecuteScalarAsync() is { } id and not DBNull
            ? Convert.ToInt32(id, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("no primary now, says the monitor");
    }

    /// <summary>The primary once it is another node than <paramref name="old"/>, waiting up to 60 s; else the old one.</summary>
    public async Task<int> NewPrimaryAsync(int old)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var primary = await PrimaryAsync();
                if (primary != old || waited.Elapsed > TimeSpan.FromSeconds(60))
                {
                    return primary;
                }
            }
            catch (Exception) when (waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                // None yet: the failover is under way.
            }

            await Task.Delay(200);
        }
    }

    /// <summary>A standby (1-based): the first node that is not the primary.</summary>
    public async Task<int> StandbyAsync()
    {
        var primary = await PrimaryAsync();
        return Enumerable.Range(1, DatabaseNodes).First(n => n != primary);
    }

    /// <summary>Whether a node's PostgreSQL is in recovery (a standby), asked on that node alone.</summary>
    public async Task<bool> InRecoveryAsync(int node)
    {
        var single = new NpgsqlConnectionStringBuilder(Database) { Pooling = false, Timeout = 2, TargetSessionAttributes = "any" };
        single.Host = single.Host!.Split(',')[node - 1];
        await using var connection = new NpgsqlConnection(single.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// How long after <paramref name="since"/> a transaction first committed on a writable primary
    /// (a connection that the read-write target accepts, and a commit that needs a transaction id
    /// and so waits for the synchronous standby), polling until <paramref name="within"/> has passed.
    /// </summary>
    public async Task<TimeSpan?> WritableAgainAsync(Stopwatch since, TimeSpan within)
    {
        var probe = new NpgsqlConnectionStringBuilder(Database) { Pooling = false, Timeout = 1, CommandTimeout = 2 }.ConnectionString;
        while (since.Elapsed < within)
        {
            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await using var command = new NpgsqlCommand("SELECT txid_current()", connection, transaction);
                await command.ExecuteScalarAsync();
                await transaction.CommitAsync();
                return since.Elapsed;
            }
            catch (Exception ex)
            {
                LastProbeError = ex.Message;
                await Task.Delay(100);
            }
        }

        return null;
    }

    /// <summary>Why the last probe of <see cref="WritableAgainAsync"/> failed, for a scenario that found no primary.</summary>
    public string? LastProbeError { get; private set; }

    /// <summary>
    /// Undoes whatever a scenario left: no cut, nothing frozen, every database node and the monitor
    /// running (a killed node rejoins as a standby), a primary and two standbys, and every silo
    /// active. Returns how long that took.
    /// </summary>
    public async Task<TimeSpan> MakeWholeAsync()
    {
        var took = Stopwatch.StartNew();
        await Cluster.CommandAsync("pg", "mend");
        for (var node = 1; node <= DatabaseNodes; node++)
        {
            await Cluster.CommandAsync("pg", "thaw", node.ToString());
            if (!NodeRuns(node))
            {
                await Cluster.CommandAsync("pg", "start", node.ToString());
            }
        }

        if (!NodeRuns(0))
        {
            await Cluster.CommandAsync("pg", "start-monitor");
        }

        await Cluster.CommandAsync("pg", "wait-whole", "80");
        NpgsqlConnection.ClearAllPools(); // this process's own connections to a server since demoted
        while (true)
        {
            var whole = true;
            for (var i = 1; i <= Silos; i++)
            {
                if (!Cluster.SiloRunning(i))
                {
                    await Cluster.CommandAsync("start-silo", i.ToString());
                }

                try
                {
                    whole &= Cluster.SiloRunning(i) && await ClusterProbe.SiloStatusAsync(Database, Cluster.SiloPort(i)) == ClusterProbe.Active;
                }
                catch (NpgsqlException)
                {
                    // A pooled connection to the old primary, ended when it was demoted.
                    NpgsqlConnection.ClearAllPools();
                    whole = false;
                }
            }

            if (whole)
            {
                return took.Elapsed;
            }

            if (took.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"the cluster was not whole again within 120 s\n{Cluster.Logs()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>The keeper's log of database node <paramref name="node"/>.</summary>
    public string NodeLog(int node) => File.ReadAllText(Path.Combine(Cluster.RunDirectory, "pg-ha", $"node{node}.log"));

    // Whether anything runs in the node's namespace (0: the monitor's).
    private bool NodeRuns(int node)
    {
        var name = $"ball{_network!.Number}-pg{(node == 0 ? "m" : node.ToString())}";
        using var pids = Process.Start(new ProcessStartInfo("ip", ["netns", "pids", name]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = pids.StandardOutput.ReadToEnd();
        pids.WaitForExit();
        return !string.IsNullOrWhiteSpace(output);
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
            await Cluster.DisposeAsync(); // stops the processes, the database nodes with the network
        }
        else if (_network is not null && _runDirectory is not null)
        {
            await _network.DownAsync(_runDirectory);
        }
    }
}
