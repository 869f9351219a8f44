using BallOrleans.Grains.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BallOrleans.Tests.Operations;

/// <summary>Orleans' watchdog logs through <see cref="WatchdogStartLogger{T}"/>: the false stall at start is dropped, the rest pass.</summary>
public sealed class WatchdogStartLoggerTests
{
    // Orleans' own template (Watchdog.LogWarningParticipantCheckThreadStalled).
    private const string Stall = "Participant check thread has not completed for {TimeSinceLastTick}, potentially indicating lock contention or deadlock, CPU starvation, or another execution anomaly.";

    [Fact]
    public void A_stall_longer_than_the_process_has_lived_is_dropped_and_everything_else_is_logged()
    {
        var lines = new List<string>();
        using var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(new ListLoggerProvider(lines)))
            .AddWatchdogStartLogger()
            .BuildServiceProvider();
        // Found by name: an Orleans upgrade that renames it fails here, not silently.
        var watchdog = typeof(Orleans.Runtime.Silo).Assembly.GetType(WatchdogStartLogging.WatchdogType);
        Assert.NotNull(watchdog);
        var logger = (ILogger)services.GetRequiredService(typeof(ILogger<>).MakeGenericType(watchdog));

        logger.LogWarning(Stall, TimeSpan.FromDays(400)); // since boot: the start race
        logger.LogWarning(Stall, TimeSpan.FromMilliseconds(1)); // within the process's life: a real stall
        logger.LogWarning(".NET Runtime Platform stalled for {TimeSinceLastTick}", TimeSpan.FromDays(400));

        Assert.Equal(
            ["Participant check thread has not completed for 00:00:00.0010000", ".NET Runtime Platform stalled for 400.00:00:00"],
            lines.Select(l => l.Split(',')[0]));
    }

    private sealed class ListLoggerProvider(List<string> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
