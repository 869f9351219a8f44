using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Limits;

/// <summary>How fast new visitors may be minted: per client address, and by the whole web instance (section <c>NewVisitors</c>).</summary>
public sealed class NewVisitorLimitOptions
{
    public const string Section = "NewVisitors";

    /// <summary>Sustained new visitors per second per address; 0 turns the limit off.</summary>
    [Range(0, 1_000_000)]
    public int PerAddressPerSecond { get; set; } = 5;

    /// <summary>How many may be minted at once before the sustained rate applies (a school behind one NAT).</summary>
    [Range(1, 10_000_000)]
    public int Burst { get; set; } = 200;

    /// <summary>
    /// Loopback clients (the benchmark, a reverse proxy on the same host) are not limited per
    /// address (the global limit still applies). Turned off whenever an ingress proxy can prove
    /// itself (<see cref="Hosting.IngressOptions"/>): clients then come through it, and a loopback
    /// peer is someone else.
    /// </summary>
    public bool ExemptLoopback { get; set; } = true;

    /// <summary>
    /// Sustained new visitors per second that this web instance mints in all, whatever their
    /// addresses; 0 turns the limit off. The per-address limit alone lets many addresses (a
    /// botnet; one IPv6 /48 holds 65,536 /64s, each with its own budget) fill the database as
    /// fast as it takes writes, and crowd out returning visitors meanwhile. 200 a second is 17
    /// million new visitors a day per instance, far beyond what a site like this sees at its
    /// busiest (a link from a big news site brings tens a second), and about a thirtieth of what
    /// one instance stored on the benchmark's two cores (docs/performance.md), so the database
    /// keeps room for everyone else while a flood lasts. Per instance: N web instances mint up to
    /// N times this.
    /// </summary>
    [Range(0, 1_000_000)]
    public int GlobalPerSecond { get; set; } = 200;

    /// <summary>
    /// How many new visitors the instance may mint at once before the global rate applies: a spike
    /// of real newcomers (the link above, a mailing) passes whole. 20,000 is 100 s of the sustained
    /// rate: newcomers at twice that rate, 400 a second, are all stored for 100 s.
    /// </summary>
    [Range(1, 10_000_000)]
    public int GlobalBurst { get; set; } = 20_000;
}
