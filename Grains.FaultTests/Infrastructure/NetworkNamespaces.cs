using System.Net;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// The private network <c>cluster.sh --netns</c> builds (see its header): a bridge with the host
/// side at 10.213.N.1, the web front end's namespace at .2 and silo i's at .(10+i). This class
/// only names the addresses and asks the script to make or remove the network.
/// </summary>
public sealed class NetworkNamespaces
{
    private NetworkNamespaces(int number) => Number = number;

    /// <summary>N, the script's <c>CLUSTER_NETNS</c>.</summary>
    public int Number { get; }

    public IPAddress HostSide => Address(1);

    public IPAddress Web => Address(2);

    /// <summary>Where <c>cluster.sh guest</c> runs a command: another host on the cluster's network.</summary>
    public IPAddress Guest => Address(3);

    public IPAddress Silo(int index) => Address(10 + index);

    /// <summary>Why namespaces cannot be made here, or null when they can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        if (!System.Environment.IsPrivilegedProcess)
        {
            return "network namespaces, veth pairs and iptables need root";
        }

        return new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.Any(File.Exists)
            ? null
            : "no `ip` command (Debian package iproute2)";
    }

    /// <summary>A network number no other bridge uses (a developer's cluster takes 1 by default).</summary>
    public static NetworkNamespaces Pick()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var number = Random.Shared.Next(100, 255);
            if (!Directory.Exists($"/sys/class/net/ball{number}-br"))
            {
                return new NetworkNamespaces(number);
            }
        }

        throw new InvalidOperationException("no free network number in 100-254: stale ball*-br bridges? (cluster.sh net-down)");
    }

    /// <summary>What cluster.sh needs to find this network.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["CLUSTER_NETNS"] = Number.ToString() };

    /// <summary>The bridge, before anything binds to <see cref="HostSide"/>; the namespaces come with the processes.</summary>
    public Task UpAsync(string runDirectory) => LocalCluster.RunScriptAsync(WithRunDirectory(runDirectory), "net-up");

    public Task DownAsync(string runDirectory) => LocalCluster.RunScriptAsync(WithRunDirectory(runDirectory), "net-down");

    private Dictionary<string, string?> WithRunDirectory(string runDirectory) =>
        new(Environment) { ["CLUSTER_RUN_DIR"] = runDirectory };

    private IPAddress Address(int host) => IPAddress.Parse($"10.213.{Number}.{host}");
}
