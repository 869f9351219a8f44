using System.Buffers.Text;
using System.Security.Cryptography;

namespace BallOrleans.Grains.Visitors;

/// <summary>
/// Visitor ids: 128 random bits, written as 22 characters of unpadded base64url.
/// </summary>
/// <remarks>
/// The id is also the grain key. Orleans' ADO.NET storage reads a key that parses as a hex
/// integer or a Guid as that number, so "020235" and "20235" would share a row. A 22-character
/// key never fits a long or a 32-digit Guid, and an id made only of digits is never minted.
/// </remarks>
public static class VisitorId
{
    public const int Length = 22;
    private const int Bytes = 16;

    /// <summary>A fresh id from the cryptographic random generator.</summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[Bytes];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            var id = Base64Url.EncodeToString(bytes);
            if (!IsAllDigits(id))
            {
                return id;
            }
        }
    }

    /// <summary>True when <paramref name="value"/> is exactly an id this service could have minted.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> value)
    {
        if (value.Length != Length || IsAllDigits(value))
        {
            return false;
        }

        // 22 characters carry 132 bits; only the spelling whose 4 spare bits are zero is ours,
        // so each id has one spelling (and one grain). Those last characters are A, Q, g and w.
        return Base64Url.IsValid(value, out var decodedLength)
            && decodedLength == Bytes
            && value[^1] is 'A' or 'Q' or 'g' or 'w';
    }

    private static bool IsAllDigits(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
