using System.Text.Json.Serialization;

namespace BallOrleans.Grains.Visitors;

/// <summary>The colors a visitor can be shown. The stored JSON names them in lower case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BallColor>))]
public enum BallColor
{
    [JsonStringEnumMemberName("red")]
    Red,

    [JsonStringEnumMemberName("blue")]
    Blue,
}

/// <summary>Names of <see cref="BallColor"/> as they appear in pages, APIs and storage.</summary>
public static class BallColors
{
    public static readonly IReadOnlyList<BallColor> All = [BallColor.Red, BallColor.Blue];

    public static string Name(this BallColor color) => color switch
    {
        BallColor.Red => "red",
        BallColor.Blue => "blue",
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, "unknown color"),
    };

    public static bool TryParse(string? name, out BallColor color)
    {
        switch (name)
        {
            case "red": color = BallColor.Red; return true;
            case "blue": color = BallColor.Blue; return true;
            default: color = default; return false;
        }
    }
}
