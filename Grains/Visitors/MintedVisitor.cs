namespace BallOrleans.Grains.Visitors;

/// <summary>
/// Marks a grain call as the first visit of an id the caller minted a moment ago, so that the
/// visitor's storage can skip the activation read: a 128-bit random id has no stored row.
/// </summary>
/// <remarks>
/// Measured (bench/README.md): the read on activation is one of the two PostgreSQL round trips
/// of every new visit. Skipping it cannot lose a count: the first write is an
/// <c>INSERT … ON CONFLICT DO NOTHING</c>, so a row that did exist makes the write fail with
/// <c>InconsistentStateException</c>, and the grain then reads for real (after <see cref="Forget"/>)
/// and counts on top. The mark travels in the Orleans <c>RequestContext</c>, which the runtime
/// imports before it runs the activation's lifecycle, and names the id so that it means nothing
/// to any other grain the call reaches.
/// </remarks>
public static class MintedVisitor
{
    private const string Key = "ball.minted";

    /// <summary>Marks the calls that follow, in this async flow, as the first visit of <paramref name="visitorId"/>.</summary>
    public static void Mark(string visitorId) => RequestContext.Set(Key, visitorId);

    /// <summary>Removes the mark, so that the next read of the state goes to the database.</summary>
    public static void Forget() => RequestContext.Remove(Key);

    /// <summary>True when the current call is the first visit of the id <paramref name="grainId"/> names.</summary>
    public static bool IsMarked(GrainId grainId) =>
        RequestContext.Get(Key) is string minted && grainId.Key.ToString() == minted;
}
