using System.Text.Json;

namespace BallOrleans.Web.Bots;

/// <summary>
/// The maintained bot list as embedded at build time (<c>Bots/BotList.targets</c>): npm isbot's
/// patterns, JavaScript regular expressions matched without regard to case.
/// </summary>
public sealed record BotPatterns(string Package, string Version, IReadOnlyList<string> Patterns)
{
    private const string ResourceName = "BallOrleans.Web.Bots.isbot-patterns.json";

    public static BotPatterns Embedded()
    {
        using var stream = typeof(BotPatterns).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The bot list resource {ResourceName} is missing: the build did not export it.");
        var list = JsonSerializer.Deserialize<BotPatterns>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        if (list is not { Patterns.Count: > 0 })
        {
            throw new InvalidOperationException($"The bot list resource {ResourceName} has no patterns.");
        }

        return list;
    }
}
