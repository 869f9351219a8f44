using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Stats;

/// <summary>
/// The opaque <c>next</c> cursor of a visitor listing: the last row's position, bound to the sort
/// and color it was made for, signed with HMAC-SHA256 so that a forged or edited cursor is refused.
/// </summary>
public static class VisitorCursor
{
    private const byte Version = 1;
    private const int PidLength = 16;
    private const int MacLength = 16;
    private const int BodyLength = 1 + 1 + 1 + 8 + PidLength;

    public static string Encode(byte[] key, VisitorSort sort, BallColor? color, VisitorPosition position)
    {
        Span<byte> bytes = stackalloc byte[BodyLength + MacLength];
        bytes[0] = Version;
        bytes[1] = SortCode(sort);
        bytes[2] = ColorCode(color);
        BinaryPrimitives.WriteInt64BigEndian(bytes[3..], position.Value);
        position.Pid.AsSpan().CopyTo(bytes[11..]);
        HMACSHA256.HashData(key, bytes[..BodyLength])[..MacLength].CopyTo(bytes[BodyLength..]);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The position in <paramref name="cursor"/>, or null with the reason it is refused.</summary>
    public static VisitorPosition? Decode(byte[] key, string cursor, VisitorSort sort, BallColor? color, out string? problem)
    {
        Span<byte> bytes = stackalloc byte[BodyLength + MacLength];
        if (cursor.Length > 100 || !Base64Url.IsValid(cursor, out var length) || length != bytes.Length)
        {
            problem = "after is not a cursor this server made";
            return null;
        }

        Base64Url.DecodeFromChars(cursor, bytes);
        var mac = HMACSHA256.HashData(key, bytes[..BodyLength]).AsSpan(0, MacLength);
        if (bytes[0] != Version || !CryptographicOperations.FixedTimeEquals(mac, bytes[BodyLength..]))
        {
            problem = "after is not a cursor this server made";
            return null;
        }

        if (bytes[1] != SortCode(sort) || bytes[2] != ColorCode(color))
        {
            problem = "after belongs to a listing with another sort or color; start again without it";
            return null;
        }

        problem = null;
        return new VisitorPosition(BinaryPrimitives.ReadInt64BigEndian(bytes[3..]), bytes[11..BodyLength].ToArray());
    }

    private static byte SortCode(VisitorSort sort) => (byte)((int)sort.Key * 2 + (sort.Descending ? 1 : 0));

    private static byte ColorCode(BallColor? color) => color is { } c ? (byte)((int)c + 1) : (byte)0;
}
