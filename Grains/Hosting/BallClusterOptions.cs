using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Grains.Hosting;

/// <summary>Where a silo sits in the cluster (section <c>Orleans</c>).</summary>
public sealed class BallClusterOptions
{
    public const string Section = "Orleans";

    /// <summary>
    /// The web tier's place in the cluster: <c>cohost</c> (it hosts a silo itself) or <c>client</c>
    /// (it joins a cluster of Silo processes through their gateways). Silos ignore it.
    /// </summary>
    [Required, RegularExpression("^(cohost|client)$", ErrorMessage = "Orleans:Mode must be 'cohost' or 'client'")]
    public string Mode { get; set; } = "cohost";

    /// <summary>Silos and clients with the same ClusterId form one cluster.</summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,64}$")]
    public string ClusterId { get; set; } = "ball";

    /// <summary>Names the stored state. Never change it on a live database: the rows are keyed by it.</summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,64}$")]
    public string ServiceId { get; set; } = "ball-orleans";

    /// <summary>Silo-to-silo port.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port that Orleans clients (a separate web tier) connect to.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one at; default 127.0.0.1 (one machine).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// How long one grain call may take before the caller gets a timeout (Orleans' default is
    /// 30 s). Short, because a call to a silo that just died hangs until then. Visits do not wait
    /// for it: the web tier gives each attempt <c>Visits:AttemptTimeout</c> and then retries.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "00:05:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Running in Kubernetes: take the pod's name and IP from POD_NAME/POD_IP and watch the pods.</summary>
    public bool Kubernetes { get; set; }

    /// <summary>Host the Orleans Dashboard's grains on silos (and its pages on the web tier).</summary>
    public bool Dashboard { get; set; } = true;
}
