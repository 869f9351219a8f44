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
