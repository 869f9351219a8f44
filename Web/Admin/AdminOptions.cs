namespace BallOrleans.Web.Admin;

/// <summary>
/// The admin credential (HTTP Basic, user <c>admin</c>) for the stats, their APIs, the dashboard
/// and the metrics. Section <c>Stats</c>, whose key <c>AdminPassword</c> operators already set.
/// </summary>
public sealed class AdminOptions
{
    public const string Section = "Stats";

    /// <summary>
    /// The password of user <c>admin</c>; unset or empty, the admin pages answer loopback clients
    /// only. <see cref="AdminPasswordPolicy"/> refuses a guessable one at start.
    /// </summary>
    public string? AdminPassword { get; set; }

    /// <summary>
    /// TLS ends at a proxy in front of the site (a Kubernetes ingress, a load balancer), which
    /// passes requests on over plain HTTP without saying so in <c>X-Forwarded-Proto</c>: then the
    /// credential is accepted over plain HTTP from any client. Default false: over plain HTTP,
    /// only loopback clients may send it.
    /// </summary>
    public bool TlsEndsAtProxy { get; set; }

    public bool HasPassword => !string.IsNullOrEmpty(AdminPassword);
}
