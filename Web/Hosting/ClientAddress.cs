using System.Net;
using System.Net.Sockets;

namespace BallOrleans.Web.Hosting;

/// <summary>How per-client limits key a client: its IPv4 address, or the /64 of an IPv6 one (what one subscriber usually holds).</summary>
public static class ClientAddress
{
    /// <summary>The limit key of <paramref name="address"/>; an unknown address (no socket) shares one key.</summary>
    public static IPAddress Key(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
