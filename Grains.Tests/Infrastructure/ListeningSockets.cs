using System.Globalization;
using System.Net;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>The local addresses TCP sockets listen on, read from Linux's /proc/net/tcp and tcp6 (what <c>ss -ltn</c> shows).</summary>
public static class ListeningSockets
{
    private const string Listen = "0A";

    /// <summary>Every address a socket in this network namespace listens on at <paramref name="port"/>.</summary>
    public static IReadOnlyList<IPAddress> On(int port) =>
        new[] { "/proc/net/tcp", "/proc/net/tcp6" }
            .Where(File.Exists)
            .SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            // sl, local_address, rem_address, st, ...; the header line has "local_address" there.
            .Where(fields => fields.Length > 3 && fields[3] == Listen)
            .Select(fields => fields[1].Split(':'))
            .Where(local => int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(local => Address(local[0]))
            .ToList();

    // The kernel prints each 32-bit word of the address in host (little-endian) byte order.
    private static IPAddress Address(string hex)
    {
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }

        return new IPAddress(bytes);
    }
}
