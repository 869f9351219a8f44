using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// The ingress proxy whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the site believes
/// (section <c>Ingress</c>), and how it proves itself: a client certificate, on the site's HTTPS
/// endpoints, from a CA that issues nothing else. Unset, no forwarded header is believed.
/// </summary>
public sealed class IngressOptions
{
    public const string Section = "Ingress";

    /// <summary>
    /// PEM file of the CA that issues the ingress proxy's client certificate. Set, every HTTPS
    /// endpoint of the site requires a client certificate that chains to it (and carries the
    /// clientAuth usage), and only requests on such connections have their forwarded headers read.
    /// </summary>
    public string? ClientCaPath { get; set; }

    /// <summary>
    /// How many entries of <c>X-Forwarded-For</c>, from the right, the proven proxy vouches for: 1
    /// (the default) when clients reach the proxy directly; 2 when a load balancer in front of it
    /// appends the client's address and the proxy appends the balancer's.
    /// </summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    /// <summary>Whether any proxy can prove itself, so that forwarded headers may be believed at all.</summary>
    public bool TrustsProxy => !string.IsNullOrWhiteSpace(ClientCaPath);
}
