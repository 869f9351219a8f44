using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// Every entry a host logs, written by each of the console's formatters (simple, JSON,
/// systemd) as the console would print it, one string per formatter and entry, prefixed with
/// the formatter's name. A provider beside the console's, so it gets exactly what the console gets.
/// </summary>
public sealed class RenderedLogs
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
        }
    }

    public sealed class Provider(RenderedLogs logs, IEnumerable<ConsoleFormatter> formatters) : ILoggerProvider, ISupportExternalScope
    {
        private readonly RenderedLogs _logs = logs;
        private readonly List<ConsoleFormatter> _formatters = [.. formatters];
        private IExternalScopeProvider? _scopes;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(Provider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
                provider._scopes?.Push(state) ?? NullLogger.Instance.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Trace and < LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                // As the console's own logger: the factory's filters let LogLevel.None through (Polly sends it).
                if (!IsEnabled(logLevel))
                {
                    return;
                }

                var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
                foreach (var format in provider._formatters)
                {
                    using var text = new StringWriter();
                    format.Write(in entry, provider._scopes, text);
                    provider._logs.Add($"{format.Name}: {text}");
                }
            }
        }
    }
}
