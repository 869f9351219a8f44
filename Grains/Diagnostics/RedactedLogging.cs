using System.Collections;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>
/// The logging of every host (web, co-hosted or standalone silo): one logger factory in front of
/// every sink, which redacts each entry (<see cref="RedactingLoggerFactory"/>) and shortens those
/// an unreachable database caused (<see cref="DatabaseOutageLogging"/>).
/// </summary>
public static class BallLogging
{
    /// <summary>Replaces the host's logger factory, so that every provider (console simple or JSON, debug, EventSource) gets what it makes.</summary>
    public static ILoggingBuilder AddBallLogging(this ILoggingBuilder logging)
    {
        // The outage filter reads the original exception and event, so it comes first; redaction
        // comes last, next to the providers, so that nothing added on the way escapes it.
        logging.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new DatabaseOutageLogging.Factory(new RedactingLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(),
            sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>())))));
        return logging;
    }
}

/// <summary>
/// Takes visitor ids (<see cref="LogRedaction"/>) out of every log entry of every category before
/// any provider sees it: the rendered message, each structured value (the JSON console format
/// writes them beside the message), every scope, and the exception's text. Orleans' own entries
/// are the reason: its call-timeout warning names the called grain, <c>visitor/{id}</c>, as do
/// other messages of its runtime, and it offers no setting to leave the grain id out.
/// </summary>
/// <remarks>
/// A wrapper of the logger factory rather than a console formatter of our own: a formatter would
/// cover the console alone and would have to be written twice (simple and JSON) to match the
/// framework's, while here the framework's formatters and every other provider are kept as they
/// are and only see redacted entries. A disabled level costs nothing more than before: an entry
/// is redacted only once some provider will write it.
/// </remarks>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? inner.BeginScope(new RedactedPairs(pairs, state))
            : inner.BeginScope(new RedactedText(state));

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var message = LogRedaction.Redact(formatter(state, exception));
            var redacted = new RedactedState(message, state as IEnumerable<KeyValuePair<string, object?>>);
            inner.Log(logLevel, eventId, redacted, exception is null ? null : new RedactedException(exception), static (s, _) => s.Message);
        }
    }

    /// <summary>A structured value as a provider may write it: numbers and the like as they are (no id hides in them), anything else as its redacted text.</summary>
    private static object? Redacted(object? value) => value switch
    {
        null => null,
        string text => LogRedaction.Redact(text),
        bool or char or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal
            or TimeSpan or DateTime or DateTimeOffset or Guid or Enum => value,
        _ => LogRedaction.Redact(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    /// <summary>
    /// An entry's state: its redacted message, and its values (none when the original had no named
    /// values), redacted only when a provider reads them: the simple console format never does.
    /// </summary>
    private sealed class RedactedState(string message, IEnumerable<KeyValuePair<string, object?>>? values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private KeyValuePair<string, object?>[]? _values;

        private KeyValuePair<string, object?>[] Values =>
            _values ??= values?.Select(v => new KeyValuePair<string, object?>(v.Key, Redacted(v.Value))).ToArray() ?? [];

        public string Message { get; } = message;

        public int Count => Values.Length;

        public KeyValuePair<string, object?> this[int index] => Values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)Values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }

    /// <summary>
    /// A scope whose state has named values, redacted when a provider reads it. Lazily: ASP.NET
    /// Core opens a scope for every request, and almost none of them is ever written.
    /// </summary>
    private sealed class RedactedPairs(IEnumerable<KeyValuePair<string, object?>> pairs, object state) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private KeyValuePair<string, object?>[]? _values;

        private KeyValuePair<string, object?>[] Values =>
            _values ??= [.. pairs.Select(v => new KeyValuePair<string, object?>(v.Key, Redacted(v.Value)))];

        public int Count => Values.Length;

        public KeyValuePair<string, object?> this[int index] => Values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)Values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => LogRedaction.Redact(state.ToString());
    }

    /// <summary>A scope with no named values: its text, redacted when a provider reads it.</summary>
    private sealed class RedactedText(object state)
    {
        public override string ToString() => LogRedaction.Redact(state.ToString());
    }

    /// <summary>
    /// Stands in for the logged exception: its message and its whole text (type, message, inner
    /// exceptions, stack), as providers print them, redacted. Providers that name the exception's
    /// type on its own (EventSource) see this type's; the text still starts with the original's.
    /// </summary>
    private sealed class RedactedException : Exception
    {
        private readonly string _text;

        public RedactedException(Exception original)
            : base(LogRedaction.Redact(original.Message))
        {
            _text = LogRedaction.Describe(original);
            HResult = original.HResult;
        }

        public override string? StackTrace => null;

        public override string ToString() => _text;
    }
}
