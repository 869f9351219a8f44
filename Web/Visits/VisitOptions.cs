using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Visits;

/// <summary>How hard the web tier tries to record a visit (section <c>Visits</c>).</summary>
public sealed class VisitOptions
{
    public const string Section = "Visits";

    /// <summary>
    /// How long a visit may be retried while the cluster is failing over (a silo died and is not
    /// yet declared dead). A visit is not sent again for a storage failure: it answers 503 (the
    /// grouped storage may have tried again first, through a database failover, for up to
    /// <c>Storage:FailoverRetryWindow</c>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one attempt of a visit may take before the next is sent (same request id, so it
    /// counts once). A visit takes milliseconds, and under a slow database well under a second; one
    /// that takes longer went to a silo that froze or was cut off, and trying again as soon as the
    /// cluster has declared that silo dead (about 2.5 s) is what keeps the visitor's wait short.
    /// The abandoned attempt is not cancelled: its answer is simply not waited for. One visitor's
    /// visits are served one at a time, so one cookie sending hundreds at once (no person does)
    /// outlasts it: those are answered "unknown" rather than risk counting one twice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Counted visits per minute that one visitor (their cookie's verified id) may make, sustained;
    /// 0 turns the limit off. Each counted visit is a synchronous commit, so one valid cookie
    /// replayed at full speed would cost the database a commit a request; over the limit the visitor
    /// sees their ball and nothing is stored. 30 a minute, one every two seconds, is faster than
    /// anyone reads this page for long, while a replayed cookie is held to half a commit a second.
    /// Per web instance: behind N instances a cookie gets up to N times this.
    /// </summary>
    [Range(0, 1_000_000)]
    public int PerCookiePerMinute { get; set; } = 30;

    /// <summary>
    /// How many visits one cookie may make at once before its sustained rate applies: 20 covers a
    /// person reloading as fast as they can for a few seconds, or a handful of tabs opened together.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PerCookieBurst { get; set; } = 20;
}
