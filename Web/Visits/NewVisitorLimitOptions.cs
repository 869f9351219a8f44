using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Visits;

/// <summary>How fast one client address may mint new visitors (section <c>NewVisitors</c>).</summary>
public sealed class NewVisitorLimitOptions
{
    public const string Section = "NewVisitors";

    /// <summary>Sustained new visitors per second per address; 0 turns the limit off.</summary>
    [Range(0, 1_000_000)]
    public int PerAddressPerSecond { get; set; } = 5;

    /// <summary>How many may be minted at once before the sustained rate applies (a school behind one NAT).</summary>
    [Range(1, 10_000_000)]
    public int Burst { get; set; } = 200;

    /// <summary>Loopback clients (the benchmark, a reverse proxy on the same host) are not limited.</summary>
    public bool ExemptLoopback { get; set; } = true;
}
