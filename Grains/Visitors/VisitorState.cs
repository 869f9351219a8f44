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

    /// <summary>
    /// How many request ids are kept. A retry is only ever of a visit still in flight, so this
    /// need only cover the visits one visitor makes at once (a few tabs); each id adds ~40 bytes to
    /// the row, and the row's size is much of a write's cost.
    /// </summary>
    public const int RecentRequestLimit = 4;

    /// <summary>A visitor seen for the first time, with no view counted yet.</summary>
    public static VisitorState New(BallColor color, DateTimeOffset now) => new() { Color = color, FirstSeen = now };

    public long ViewsOf(BallColor color) => color == BallColor.Red ? RedViews : BlueViews;

    /// <summary>Counts one view of the visitor's color, made by request <paramref name="requestId"/>.</summary>
    public void CountView(DateTimeOffset now, Guid requestId)
    {
        if (Color == BallColor.Red)
        {
            RedViews++;
        }
        else
        {
            BlueViews++;
        }

        LastSeen = now;
        RecentRequests.Add(requestId);
        if (RecentRequests.Count > RecentRequestLimit)
        {
            RecentRequests.RemoveRange(0, RecentRequests.Count - RecentRequestLimit);
        }
    }

    /// <summary>What the visitor is shown now.</summary>
    public VisitorView View() => new(Color, ViewsOf(Color), FirstSeen);

    /// <summary>
    /// The view a visit with <paramref name="requestId"/> was answered, when it is among the last
    /// few counted: each counted visit added exactly one view, so it is the current count less
    /// the visits listed after it.
    /// </summary>
    public VisitorView? ViewOf(Guid requestId)
    {
        var index = RecentRequests.LastIndexOf(requestId);
        return index < 0 ? null : new VisitorView(Color, ViewsOf(Color) - (RecentRequests.Count - 1 - index), FirstSeen);
    }

    /// <summary>A copy that shares nothing with this one.</summary>
    public VisitorState Copy() => new()
    {
        Color = Color,
        RedViews = RedViews,
        BlueViews = BlueViews,
        FirstSeen = FirstSeen,
        LastSeen = LastSeen,
        RecentRequests = [.. RecentRequests],
    };

    [JsonIgnore]
    public long TotalViews => RedViews + BlueViews;
}
