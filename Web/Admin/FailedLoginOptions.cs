using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Admin;

/// <summary>How many wrong admin passwords one client address may send per window (section <c>FailedLogins</c>).</summary>
public sealed class FailedLoginOptions
{
    public const string Section = "FailedLogins";

    /// <summary>Failures allowed per window; the next admin request from that address is a 429 until the window ends.</summary>
    [Range(1, 10_000)]
    public int Limit { get; set; } = 10;

    /// <summary>The fixed window failures are counted in.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
