namespace BallOrleans.Grains.Visitors;

/// <summary>
/// A visit's request id: a version 7 GUID, made once when the visit begins and sent with every
/// attempt, so it carries the time the visit began (in the caller's clock, to the millisecond).
/// </summary>
/// <remarks>
/// The time is what lets a visitor's grain tell a visit it may have counted and since forgotten
/// (see <see cref="VisitorState.MayHaveCounted"/>) from a new one, without storing a time per id.
/// </remarks>
public static class VisitRequestId
{
    /// <summary>The id for a visit that begins now.</summary>
    public static Guid New() => Guid.CreateVersion7();

    /// <summary>When the visit began, in Unix milliseconds, or null for an id that is not version 7.</summary>
    public static long? BeganAt(Guid requestId)
    {
        if (requestId.Version != 7)
        {
            return null;
        }

        // RFC 9562: the first 48 bits, big-endian, are the Unix time in milliseconds.
        Span<byte> bytes = stackalloc byte[16];
        requestId.TryWriteBytes(bytes, bigEndian: true, out _);
        return (long)bytes[0] << 40 | (long)bytes[1] << 32 | (long)bytes[2] << 24 | (long)bytes[3] << 16 | (long)bytes[4] << 8 | bytes[5];
    }
}
