using System.Text.Json.Serialization;

namespace BallOrleans.Grains.Visitors;

/// <summary>What a visitor's grain keeps durably: the color they were given and their views.</summary>
/// <remarks>
/// Stored as System.Text.Json in one row per visitor. Short property names keep the row small,
/// which is most of what a write costs besides the commit itself.
/// </remarks>
[GenerateSerializer, Alias("ball.VisitorState")]
public sealed class VisitorState
{
    [Id(0), JsonPropertyName("c")]
    public BallColor Color { get; set; }

    [Id(1), JsonPropertyName("r")]
    public long RedViews { get; set; }

    [Id(2), JsonPropertyName("b")]
    public long BlueViews { get; set; }

    [Id(3), JsonPropertyName("f")]
    public DateTimeOffset FirstSeen { get; set; }

    [Id(4), JsonPropertyName("l")]
    public DateTimeOffset LastSeen { get; set; }

    /// <summary>
    /// Ids of the last few counted visits, oldest first. A retried visit whose id is here was
    /// already counted: it is answered from the state, not counted again. Each counted visit
    /// adds exactly one view of the visitor's color, so the view a listed visit was shown is
    /// the current count minus the number of visits listed after it.
    /// </summary>
    [Id(5), JsonPropertyName("q")]
    public List<Guid> RecentRequests { get; set; } = [];

    public long ViewsOf(BallColor color) => color == BallColor.Red ? RedViews : BlueViews;

    [JsonIgnore]
    public long TotalViews => RedViews + BlueViews;
}
