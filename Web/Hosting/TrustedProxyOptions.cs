using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// The proxies (an ingress, a load balancer) whose <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> the site believes (section <c>ForwardedHeaders</c>). The names are
/// those of ASP.NET Core's <c>ForwardedHeadersOptions</c>; unset, no header is believed.
/// </summary>
public sealed class TrustedProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies, such as <c>10.0.0.5</c>; default none.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, such as <c>10.244.0.0/16</c>; default none.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>
    /// How many proxies, counted from the site, may each name the one before them: 1 (the
    /// default) when clients reach one proxy that reaches the site; 2 when a load balancer sits in
    /// front of the ingress. Every hop but the first must itself be a known proxy.
    /// </summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}
