using Microsoft.Extensions.Logging;
using Npgsql;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>
/// Log entries caused by an unreachable database, one line each. While PostgreSQL is down every
/// part of a silo that uses it fails for that one reason, and Orleans logs each failure of its
/// membership table with the whole exception: several kilobytes of stack a line, and four lines
/// for each step of a stop that could not write its status. Here such an entry keeps its
/// message and level and gets the database's reason instead of the exception; the lines in
/// which Orleans repeats a failure it has already logged go to Debug. Every other exception is
/// logged as it was, stack and all: that is where a stack helps. A start refused for the schema's
/// version is one line too (<see cref="Hosting.SchemaVersionGate"/>).
/// </summary>
public static class DatabaseOutageLogging
{
    /// <summary>Orleans entries that only repeat a failure logged just before by the step that failed.</summary>
    private static readonly HashSet<(string Category, string Event)> Echoes =
    [
        // "'MembershipAgent' failed to stop due to errors at stage …", after the agent's own line.
        ("Orleans.Runtime.SiloLifecycleSubject", "LogErrorObserverStopFailure"),
        // "Stopping lifecycle encountered an error at stage …. Continuing to stop.", the same again.
        ("Orleans.Runtime.SiloLifecycleSubject", "LogWarningLifecycleStopFailure"),
        // "Silo … failed to update its status to … in the table", before the agent's line says so.
        ("Orleans.Runtime.MembershipService.MembershipTableManager", "LogWarningFailedToUpdateMyStatusDueToFailures"),
    ];

    /// <summary>
    /// Orleans errors that are warnings when the database is the cause: the silo could not record
    /// in the membership table that it leaves, and the others learn it from their probes instead
    /// (within seconds, docs/faults.md).
    /// </summary>
    private static readonly HashSet<(string Category, string Event)> Warnings =
    [
        ("Orleans.Runtime.MembershipService.MembershipAgent", "LogErrorErrorUpdatingStatusToShuttingDown"),
        ("Orleans.Runtime.MembershipService.MembershipAgent", "LogErrorErrorUpdatingStatusToStopping"),
        ("Orleans.Runtime.MembershipService.MembershipAgent", "LogErrorFailureUpdatingStatusToDead"),
    ];

    /// <summary>
    /// The reason, in one line, when <paramref name="exception"/> or one it wraps says that the
    /// database could not be reached or went away; null for anything else (a bad statement, a
    /// constraint, a bug), which keeps its stack.
    /// </summary>
    public static string? OutageReason(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            var unreachable = ex switch
            {
                // The server shutting down, crashed, still starting, or a connection exception.
                PostgresException postgres => postgres.SqlState is PostgresErrorCodes.AdminShutdown
                    or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                    || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
                // Connection refused or reset, a connect or command timeout: Npgsql's own test.
                NpgsqlException npgsql => npgsql.IsTransient,
                _ => false,
            };
            if (unreachable)
            {
                var cause = ex.InnerException is { } inner && ex is not PostgresException ? $" ({inner.Message})" : "";
                return LogRedaction.Redact(ex.Message + cause);
            }
        }

        return null;
    }

    /// <summary>In front of the host's logger factory (<see cref="BallLogging.AddBallLogging"/>), so that every provider (console, JSON) gets the short lines.</summary>
    internal sealed class Factory(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName), categoryName);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose() => inner.Dispose();
    }

    private sealed class Logger(ILogger inner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is Hosting.SchemaVersionException)
            {
                // A refused schema: SchemaVersionGate said why in one line, and the host's "failed
                // to start" would only repeat it with a stack.
                inner.Log(LogLevel.Debug, eventId, state, null, formatter);
                return;
            }

            if (exception is null || OutageReason(exception) is not { } reason)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var key = (category, eventId.Name ?? "");
            var level = Echoes.Contains(key) ? LogLevel.Debug
                : Warnings.Contains(key) && logLevel > LogLevel.Warning ? LogLevel.Warning
                : logLevel;
            if (inner.IsEnabled(level))
            {
                inner.Log(level, eventId, state, null, (s, _) => $"{formatter(s, exception)} (database unreachable: {reason})");
            }
        }
    }
}
