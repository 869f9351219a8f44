using System.ComponentModel.DataAnnotations;

namespace BallOrleans.Web.Cookies;

/// <summary>The visitor cookie (section <c>Cookies</c>).</summary>
public sealed class VisitorCookieOptions
{
    public const string Section = "Cookies";

    /// <summary>
    /// How long after signing began (<c>ball_cookie_signing.began</c>) a cookie from before signing,
    /// a bare visitor id, is still honoured, once (<see cref="LegacyVisitorCookies"/>). A week:
    /// visitors who come back within it keep their ball and leave with a signed cookie; after it a
    /// bare id, wherever it was learnt (an old log, a dump, the grain listing), is a fresh visitor.
    /// A longer window keeps more returning visitors and leaves leaked ids usable for longer (once
    /// each); <c>00:00:00</c> honours none. At most the cookie's lifetime, 400 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "400.00:00:00")]
    public TimeSpan LegacyWindow { get; set; } = TimeSpan.FromDays(7);
}
