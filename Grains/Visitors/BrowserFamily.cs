using System.Text.Json.Serialization;

namespace BallOrleans.Grains.Visitors;

/// <summary>
/// The browser family of a visitor's first visit, for the stats' segments. A handful of names on
/// purpose: the family is stored in every visitor's row, and a segment needs visitors to mean
/// anything. The web tier maps a user agent to one (<c>Web/Visits/BrowserFamilies.cs</c>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<BrowserFamily>))]
public enum BrowserFamily
{
    [JsonStringEnumMemberName("other")]
    Other,

    [JsonStringEnumMemberName("chrome")]
    Chrome,

    [JsonStringEnumMemberName("edge")]
    Edge,

    [JsonStringEnumMemberName("firefox")]
    Firefox,

    [JsonStringEnumMemberName("safari")]
    Safari,

    [JsonStringEnumMemberName("opera")]
    Opera,

    [JsonStringEnumMemberName("samsung")]
    Samsung,
}

/// <summary>The browser families by the names the visitor rows store them under (the JSON names above).</summary>
public static class BrowserFamilyNames
{
    /// <summary>Every family, in the enum's order: the fixed list the split alert's family checks one by one.</summary>
    public static IReadOnlyList<BrowserFamily> All { get; } = Enum.GetValues<BrowserFamily>();

    public static string Name(this BrowserFamily family) => family switch
    {
        BrowserFamily.Other => "other",
        BrowserFamily.Chrome => "chrome",
        BrowserFamily.Edge => "edge",
        BrowserFamily.Firefox => "firefox",
        BrowserFamily.Safari => "safari",
        BrowserFamily.Opera => "opera",
        BrowserFamily.Samsung => "samsung",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    /// <summary>The family stored as <paramref name="name"/>; false for anything else (a row stored before families were recorded has none).</summary>
    public static bool TryParse(string? name, out BrowserFamily family)
    {
        foreach (var candidate in All)
        {
            if (candidate.Name() == name)
            {
                family = candidate;
                return true;
            }
        }

        family = default;
        return false;
    }
}
