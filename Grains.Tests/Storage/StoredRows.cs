using BallOrleans.Grains.Visitors;

namespace BallOrleans.Tests.Storage;

/// <summary>Visitor ids and states for the tests that talk to the visitors' storage directly.</summary>
internal static class StoredRows
{
    public static GrainId NewGrainId() => GrainId.Create("visitor", VisitorId.NewId());

    /// <summary>A red visitor with <paramref name="views"/> views, never written (no ETag).</summary>
    public static GrainState<VisitorState> NewState(long views) => new(new VisitorState
    {
        Color = BallColor.Red,
        RedViews = views,
        FirstSeen = DateTimeOffset.UtcNow,
        LastSeen = DateTimeOffset.UtcNow,
    });
}
