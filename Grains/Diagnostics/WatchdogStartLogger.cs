using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>
/// The logger of Orleans' silo watchdog, less one false warning at start:
/// "Participant check thread has not completed for {TimeSinceLastTick}" with the machine's uptime.
/// </summary>
/// <remarks>
/// Orleans 10.4's <c>Watchdog.Start</c> starts its platform thread before it sets the timestamp of
/// the component check. When that thread runs first (a busy machine), it measures the time since
/// timestamp 0, which is the time since boot on the monotonic clock, and reports a stall that never
/// happened. No setting avoids the race (the check period only scales the threshold). A stall longer
/// than this process has lived cannot be real, so exactly that one is dropped; a real stall and
/// every other watchdog message pass.
/// </remarks>
internal sealed class WatchdogStartLogger<T>(ILoggerFactory factory) : ILogger<T>
{
    private const string StallMessage = "Participant check thread has not completed for ";

    private readonly ILogger _inner = factory.CreateLogger<T>();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsStartRace(state))
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    private static bool IsStartRace<TState>(TState state) =>
        state is IReadOnlyList<KeyValuePair<string, object?>> values
        && values.Any(v => v is { Key: "{OriginalFormat}", Value: string format } && format.StartsWith(StallMessage, StringComparison.Ordinal))
        && values.Any(v => v is { Key: "TimeSinceLastTick", Value: TimeSpan stall } && stall > ProcessAge());

    private static TimeSpan ProcessAge()
    {
        using var process = Process.GetCurrentProcess();
        return DateTime.Now - process.StartTime;
    }
}

public static class WatchdogStartLogging
{
    /// <summary>The name of Orleans' internal watchdog type (WatchdogStartLoggerTests fails if an upgrade renames it).</summary>
    internal const string WatchdogType = "Orleans.Runtime.Watchdog";

    /// <summary>Gives Orleans' watchdog a <see cref="WatchdogStartLogger{T}"/> in place of the plain logger.</summary>
    public static IServiceCollection AddWatchdogStartLogger(this IServiceCollection services)
    {
        // Internal to Orleans, so found by name; its logger is resolved as ILogger<Watchdog>.
        if (typeof(Orleans.Runtime.Silo).Assembly.GetType(WatchdogType) is { } watchdog)
        {
            services.TryAddSingleton(typeof(ILogger<>).MakeGenericType(watchdog), typeof(WatchdogStartLogger<>).MakeGenericType(watchdog));
        }

        return services;
    }
}
