using System.Text.Json;

namespace BallOrleans.Tests.Bots;

/// <summary>
/// Public user-agent corpora from sources other than the list the site loads (isbot), installed
/// by Bots/UserAgentCorpus.targets or committed with their source named.
/// </summary>
internal static class UserAgentCorpus
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "ua-corpus");

    /// <summary>npm crawler-user-agents 1.60.0: every example user agent ("instances") of every crawler entry.</summary>
    public static IReadOnlyList<string> CrawlerUserAgentsExamples()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "crawler-user-agents.json")));
        return Distinct(document.RootElement.EnumerateArray()
            .Where(entry => entry.TryGetProperty("instances", out _))
            .SelectMany(entry => entry.GetProperty("instances").EnumerateArray().Select(i => i.GetString()!)));
    }

    /// <summary>uap-core 0.16.0's test user agents labelled "Spider" (committed: Bots/uap-core-spiders.txt).</summary>
    public static IReadOnlyList<string> UapCoreSpiders() =>
        Distinct(File.ReadLines(Path.Combine(Folder, "uap-core-spiders.txt")).Where(line => line.Length > 0 && !line.StartsWith('#')));

    /// <summary>npm user-agents 2.1.100: user agents of real browsers, as its maintainers collected them from live traffic.</summary>
    public static IReadOnlyList<string> Browsers()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "user-agents.json")));
        return Distinct(document.RootElement.EnumerateArray().Select(entry => entry.GetProperty("userAgent").GetString()!));
    }

    private static List<string> Distinct(IEnumerable<string> userAgents) =>
        [.. userAgents.Where(ua => !string.IsNullOrEmpty(ua)).Distinct(StringComparer.Ordinal)];
}
