using System.Collections.Concurrent;
using System.Net;
using BallOrleans.Web.Hosting;
using Microsoft.Extensions.Options;

namespace BallOrleans.Web.Admin;

/// <summary>
/// Counts admin password attempts per client address in a fixed window. Every attempt is charged
/// before its password is compared, and given back if it was right, so parallel guesses cannot all
/// pass the check before any is counted. Once an address has used up
/// <see cref="FailedLoginOptions.Limit"/> tries, every admin request from it is refused (the right
/// password too) until its window ends.
/// </summary>
/// <remarks>
/// Hand-written rather than on System.Threading.RateLimiting (the limiter under ASP.NET Core's
/// rate-limiting middleware): its window limiters cannot take a permit back, and a right password
/// must not cost one, or a scraper or an operator would lock themselves out.
/// </remarks>
public sealed class FailedLoginThrottle(IOptions<FailedLoginOptions> options, TimeProvider clock)
{
    private readonly int _limit = options.Value.Limit;
    private readonly TimeSpan _window = options.Value.Window;
    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();
    private long _lastSweep = clock.GetTimestamp();

    /// <summary>One attempt taken from a window, to give back with <see cref="Refund"/> when the password was right.</summary>
    public readonly record struct Charge(IPAddress Key, long WindowStart);

    /// <summary>True when <paramref name="client"/> has no tries left in its window; then also how long until it ends.</summary>
    public bool IsThrottled(IPAddress? client, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_windows.TryGetValue(ClientAddress.Key(client), out var window))
        {
            return false;
        }

        lock (window)
        {
            return !window.Removed && IsSpent(window, clock.GetTimestamp(), out retryAfter);
        }
    }

    /// <summary>Takes one try from <paramref name="client"/>'s window; false (and how long to wait) when none is left.</summary>
    public bool TryCharge(IPAddress? client, out Charge charge, out TimeSpan retryAfter)
    {
        var key = ClientAddress.Key(client);
        var now = clock.GetTimestamp();
        SweepEndedWindows(now);
        while (true)
        {
            var window = _windows.GetOrAdd(key, static (_, start) => new Window { Start = start }, now);
            lock (window)
            {
                if (window.Removed)
                {
                    continue; // swept just now: take the one that replaces it
                }

                if (clock.GetElapsedTime(window.Start, now) >= _window)
                {
                    window.Start = now;
                    window.Used = 0;
                }

                if (IsSpent(window, now, out retryAfter))
                {
                    charge = default;
                    return false;
                }

                window.Used++;
                charge = new Charge(key, window.Start);
                return true;
            }
        }
    }

    /// <summary>Gives back a try whose password was right, unless its window has ended meanwhile.</summary>
    public void Refund(Charge charge)
    {
        if (_windows.TryGetValue(charge.Key, out var window))
        {
            lock (window)
            {
                if (!window.Removed && window.Start == charge.WindowStart && window.Used > 0)
                {
                    window.Used--;
                }
            }
        }
    }

    private bool IsSpent(Window window, long now, out TimeSpan retryAfter)
    {
        var left = _window - clock.GetElapsedTime(window.Start, now);
        retryAfter = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        return window.Used >= _limit && left > TimeSpan.Zero;
    }

    // At most once a window, forget the addresses whose window has ended, so the table holds only
    // the addresses that tried in the last window.
    private void SweepEndedWindows(long now)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (clock.GetElapsedTime(last, now) < _window || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        foreach (var (key, window) in _windows)
        {
            lock (window)
            {
                if (clock.GetElapsedTime(window.Start, now) >= _window)
                {
                    window.Removed = true;
                    _windows.TryRemove(new KeyValuePair<IPAddress, Window>(key, window));
                }
            }
        }
    }

    private sealed class Window
    {
        public long Start;
        public int Used;
        public bool Removed;
    }
}
