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
    /// The browser family of the first visit, for the stats' segments; absent in rows stored
    /// before it was recorded (and then not written, so those rows keep their size).
    /// </summary>
    [Id(6), JsonPropertyName("u"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BrowserFamily? Browser { get; set; }

    /// <summary>
    /// The latest time a visit began (Unix ms, read from its version 7 request id) among those
    /// that have left <see cref="RecentRequests"/>: a visit that began no later may have been
    /// counted and forgotten. Absent (0) until an id leaves, so most rows stay as they were.
    /// </summary>
    [Id(7), JsonPropertyName("w"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long ForgottenUpTo { get; set; }

    /// <summary>
    /// How many request ids are kept. A retry is only ever of a visit still in flight, so this
    /// need only cover the visits one visitor makes at once (a few tabs); each id adds ~40 bytes to
    /// the row, and the row's size is much of a write's cost. An id that has left is still not
    /// counted twice: see <see cref="MayHaveCounted"/>.
    /// </summary>
    public const int RecentRequestLimit = 4;

    /// <summary>A visitor seen for the first time, with no view counted yet.</summary>
    public static VisitorState New(BallColor color, DateTimeOffset now, BrowserFamily? browser = null) =>
        new() { Color = color, FirstSeen = now, Browser = browser };

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
        while (RecentRequests.Count > RecentRequestLimit)
        {
            ForgottenUpTo = Math.Max(ForgottenUpTo, VisitRequestId.BeganAt(RecentRequests[0]) ?? 0);
            RecentRequests.RemoveAt(0);
        }
    }

    /// <summary>
    /// Whether a visit that is not among <see cref="RecentRequests"/> may still have been counted:
    /// it began no later than one that was counted and has left the list. That happens to an
    /// attempt that arrives late (a silo froze with it in a queue, and a retry was counted
    /// elsewhere while the visitor went on visiting). A visit every attempt of which carries the
    /// time it began was counted, if at all, with that time, so the list's leavers cover it; a
    /// later visit began after all of them. It also holds for visits of one visitor that began
    /// together and are served out of order; the grain counts those when the caller vouches that
    /// no other attempt exists yet. Ids without a time (not version 7) are not judged.
    /// </summary>
    public bool MayHaveCounted(Guid requestId) =>
        ForgottenUpTo != 0 && VisitRequestId.BeganAt(requestId) is { } began && began <= ForgottenUpTo;

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
        ForgottenUpTo = ForgottenUpTo,
        Browser = Browser,
    };

    [JsonIgnore]
    public long TotalViews => RedViews + BlueViews;
}
