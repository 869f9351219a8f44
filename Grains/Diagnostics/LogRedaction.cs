using System.Text.RegularExpressions;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>
/// Takes visitor ids out of text bound for a log: exception messages (Orleans names the target
/// grain in its call failures, <c>visitor/{id}</c>) and anything else not written by us. Our own
/// log lines name a visitor by pseudonym (<see cref="Privacy.VisitorPseudonymKey.ForLogs"/>).
/// </summary>
/// <remarks>
/// A pattern rather than Microsoft.Extensions.Compliance.Redaction: that redacts arguments of
/// source-generated log methods by their data classification, but the ids here hide inside
/// other libraries' exception messages, which are one string to it.
/// </remarks>
public static partial class LogRedaction
{
    public const string Replacement = "[visitor id]";

    /// <summary><paramref name="text"/> with every token shaped like a visitor id (22 base64url characters, 4 spare bits zero) replaced.</summary>
    public static string Redact(string? text) => text is null ? "" : VisitorIdShaped().Replace(text, Replacement);

    /// <summary>An exception with its inner ones and stack, redacted.</summary>
    public static string Describe(Exception ex) => Redact(ex.ToString());

    [GeneratedRegex("(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{21}[AQgw](?![A-Za-z0-9_-])", RegexOptions.CultureInvariant)]
    private static partial Regex VisitorIdShaped();
}
