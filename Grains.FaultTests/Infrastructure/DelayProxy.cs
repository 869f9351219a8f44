using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// A TCP relay that can hold what passes through it for a random while (mean ± jitter, uniform),
/// keeping the order: latency on one link. Ours because this kernel has no netem, and a relay in
/// the test process can be slowed and sped up between scenarios without cutting a connection.
/// </summary>
public sealed class DelayProxy : IAsyncDisposable
{
    private const int ChunkSize = 16 * 1024;
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private long _meanTicks;
    private long _jitterTicks;
    private long _delayedChunks;

    public DelayProxy(IPEndPoint listenOn, IPEndPoint target)
    {
        _target = target;
        _listener = new Socket(listenOn.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(listenOn);
        _listener.Listen(512);
        _accepting = AcceptAsync();
    }

    public IPEndPoint ListensOn => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>How many chunks were held back so far: proof that traffic crossed the link while it was slow.</summary>
    public long DelayedChunks => Interlocked.Read(ref _delayedChunks);

    /// <summary>From now on each chunk read waits <paramref name="mean"/> ± <paramref name="jitter"/> before it is passed on.</summary>
    public void Delay(TimeSpan mean, TimeSpan jitter)
    {
        Interlocked.Exchange(ref _jitterTicks, jitter.Ticks);
        Interlocked.Exchange(ref _meanTicks, mean.Ticks);
    }

    public void NoDelay() => Delay(TimeSpan.Zero, TimeSpan.Zero);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        foreach (var socket in _open.Keys)
        {
            socket.Dispose();
        }

        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[upstream] = 0;
        try
        {
            await upstream.ConnectAsync(_target, _stop.Token);
            client.NoDelay = upstream.NoDelay = true;
            await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The target refused or went away: the client sees its connection close, as it would without us.
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(upstream, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    // Reads as fast as data comes and hands each chunk to a writer that sends it when due. On a
    // failure either way both sockets close, so the other direction ends too.
    private async Task PumpAsync(Socket from, Socket to)
    {
        var chunks = Channel.CreateBounded<(long Due, byte[] Buffer, int Length)>(256);
        var writing = SendWhenDueAsync(chunks, from, to);
        try
        {
            long lastDue = 0;
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                // Never before the chunk ahead of it: TCP keeps order, so must a delayed link.
                lastDue = Math.Max(lastDue, Stopwatch.GetTimestamp() + DelayNow());
                await chunks.Writer.WriteAsync((lastDue, buffer, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or ChannelClosedException)
        {
            from.Dispose();
            to.Dispose();
        }
        finally
        {
            chunks.Writer.TryComplete();
            await writing;
        }
    }

    private static async Task SendWhenDueAsync(Channel<(long Due, byte[] Buffer, int Length)> chunks, Socket from, Socket to)
    {
        try
        {
            await foreach (var (due, buffer, length) in chunks.Reader.ReadAllAsync())
            {
                try
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }

                    await to.SendAsync(buffer.AsMemory(0, length), SocketFlags.None);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            // The sender finished cleanly: pass its end on, and let the other direction run out.
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            from.Dispose();
            to.Dispose();
            chunks.Writer.TryComplete(); // a pump blocked on a full channel must not wait forever
            while (chunks.Reader.TryRead(out var left))
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
    }

    // In Stopwatch ticks, as the due times are.
    private long DelayNow()
    {
        var mean = Interlocked.Read(ref _meanTicks);
        if (mean == 0)
        {
            return 0;
        }

        Interlocked.Increment(ref _delayedChunks);
        var jitter = Interlocked.Read(ref _jitterTicks);
        var ticks = mean + (long)((Random.Shared.NextDouble() * 2 - 1) * jitter);
        return (long)(Math.Max(0, ticks) * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
    }
}
