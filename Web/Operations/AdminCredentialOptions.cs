namespace BallOrleans.Web.Operations;

/// <summary>The operator's credential (section <c>Stats</c>): HTTP Basic, user <c>admin</c>.</summary>
public sealed class AdminCredentialOptions
{
    public const string Section = "Stats";

    /// <summary>Password of user <c>admin</c>. Unset: admin pages answer only requests from loopback.</summary>
    public string? AdminPassword { get; set; }
}
