namespace BallOrleans.Web.Visits;

/// <summary>What the ball page offers besides the visit itself (section <c>Ball</c>, shared with the color weights).</summary>
public sealed class BallPageOptions
{
    public const string Section = "Ball";

    /// <summary>
    /// Whether <c>GET /?preview=red</c> (or <c>blue</c>) shows that ball without counting anything.
    /// Default true; when false the parameter is ignored and the request is an ordinary visit.
    /// </summary>
    public bool Preview { get; set; } = true;
}
