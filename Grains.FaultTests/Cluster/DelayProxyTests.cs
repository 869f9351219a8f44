using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Cluster;

/// <summary>The relay the slow-link scenarios rely on: it delays what passes, and passes it intact and in order.</summary>
public sealed class DelayProxyTests
{
    [Fact]
    public async Task A_delayed_link_holds_each_way_at_least_mean_minus_jitter_and_keeps_every_byte_in_order()
    {
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var echoing = EchoOnceAsync(echo);
        await using var proxy = new DelayProxy(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)echo.LocalEndpoint);
        proxy.Delay(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.ListensOn);
        var stream = client.GetStream();

        var roundTrip = Stopwatch.StartNew();
        await stream.WriteAsync(new byte[] { 42 });
        var one = new byte[1];
        await stream.ReadExactlyAsync(one);
        var took = roundTrip.Elapsed;

        var sent = Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 7 % 251)).ToArray();
        var receiving = ReadAllAsync(stream, sent.Length);
        await stream.WriteAsync(sent);
        var received = await receiving;

        Assert.Equal(42, one[0]);
        Assert.True(took >= TimeSpan.FromMilliseconds(140), $"a round trip through the delayed link took {took.TotalMilliseconds:F0} ms");
        Assert.Equal(sent, received);
        client.Close();
        await echoing;
    }

    private static async Task EchoOnceAsync(TcpListener listener)
    {
        using var server = await listener.AcceptTcpClientAsync();
        var stream = server.GetStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read));
        }
    }

    private static async Task<byte[]> ReadAllAsync(NetworkStream stream, int length)
    {
        var received = new byte[length];
        await stream.ReadExactlyAsync(received);
        return received;
    }
}
