namespace BallOrleans.Web.Admin;

/// <summary>
/// The admin credential (HTTP Basic, user <c>admin</c>) for the stats, their APIs, the dashboard
/// and the metrics. Section <c>Stats</c>, whose key <c>AdminPassword</c> operators already set.
/// </summary>
public sealed class AdminOptions
{
    public const string Section = "Stats";

    /// <summary>Shorter passwords are refused at start: a short one falls to guessing.</summary>
    public const int MinimumPasswordLength = 16;

    public const string WeakPasswordMessage =
        "Stats:AdminPassword is shorter than 16 characters: set a longer one, or none (then the admin pages answer loopback clients only)";

    /// <summary>The password of user <c>admin</c>; unset or empty, the admin pages answer loopback clients only.</summary>
    public string? AdminPassword { get; set; }

    public bool HasPassword => !string.IsNullOrEmpty(AdminPassword);

    /// <summary>No password, or one of at least <see cref="MinimumPasswordLength"/> characters.</summary>
    public bool PasswordIsAcceptable => !HasPassword || AdminPassword!.Length >= MinimumPasswordLength;
}
