using System.Net;

namespace BallOrleans.Web.Visits;

/// <summary>A request for the ball page that counts: the id in its cookie (null: none, or mangled), who sent it, and their browser.</summary>
/// <param name="UserAgent">Read only for a new visitor, whose browser family is stored.</param>
public sealed record VisitRequest(string? CookieId, IPAddress? Client, string? UserAgent);
