using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Threading.Channels;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Polly;
using Polly.Registry;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// The database retries as the container builds them (<see cref="DatabaseRetries"/>): what each one
/// sends again, for how long, and what it reports. No database and no real waiting: every failure
/// is thrown by hand, and the pauses pass on a fake clock.
/// </summary>
public sealed class DatabaseRetriesTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_commit_whose_outcome_is_unknown_is_never_sent_again()
    {
        using var retries = new Retries(multiHost: true);
        var unknown = new CommitOutcomeUnknownException(new NpgsqlException("Exception while reading from stream", new EndOfStreamException()));
        var attempts = 0;

        var thrown = await Assert.ThrowsAsync<CommitOutcomeUnknownException>(() => retries.DriveAsync(retries.Failover.RunAsync(
            retries.Clock, retries.Operation, _ => Fail<int>(ref attempts, unknown))));

        Assert.Same(unknown, thrown);
        Assert.Equal(1, attempts);
        Assert.Equal(0, retries.PollyRetries);
        Assert.Equal(0, retries.StorageRetries("no-primary"));
    }

    [Fact]
    public async Task No_primary_is_retried_with_doubling_pauses_until_the_window_ends_and_the_last_failure_is_thrown()
    {
        using var retries = new Retries(multiHost: true);
        var refused = new NpgsqlException("Failed to connect to 127.0.0.2:5432", new SocketException((int)SocketError.ConnectionRefused));
        var readOnly = new PostgresException("cannot execute UPDATE in a read-only transaction", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction);
        var started = new List<TimeSpan>();

        var thrown = await Assert.ThrowsAsync<NpgsqlException>(() => retries.DriveAsync(retries.Failover.RunAsync(retries.Clock, retries.Operation, _ =>
        {
            started.Add(retries.Clock.Elapsed);
            return Task.FromException<int>(started.Count % 2 == 1 ? refused : readOnly);
        })));

        // Pauses of 0.1, 0.2, 0.4, 0.8 s, then 1 s each; a retry only where it starts within the
        // 8 s window: the one after 7.5 s would start at 8.5 s.
        Assert.Equal([0, 100, 300, 700, 1500, 2500, 3500, 4500, 5500, 6500, 7500], started.Select(t => t.TotalMilliseconds));
        Assert.Same(started.Count % 2 == 1 ? refused : readOnly, thrown);
        Assert.Equal(10, retries.PollyRetries);
        Assert.Equal(10, retries.StorageRetries("no-primary"));
        Assert.Equal(10, retries.PollyLog.Count(e => e.Level == LogLevel.Debug && e.Message.Contains("'OnRetry'", StringComparison.Ordinal)));
        // Polly would log every attempt at Information or above; the visit path logs nothing per batch.
        Assert.DoesNotContain(retries.PollyLog, e => e.Level > LogLevel.Debug);
    }

    [Fact]
    public async Task A_primary_that_comes_back_within_the_window_answers_the_same_operation()
    {
        using var retries = new Retries(multiHost: true);
        var attempts = 0;

        var answer = await retries.DriveAsync(retries.Failover.RunAsync(retries.Clock, retries.Operation, _ =>
            ++attempts < 4 ? Task.FromException<int>(new NpgsqlException("No suitable host was found.")) : Task.FromResult(42)));

        Assert.Equal(42, answer);
        Assert.Equal(4, attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(700), retries.Clock.Elapsed);
        Assert.Equal(3, retries.PollyRetries);
    }

    [Fact]
    public async Task With_one_server_nothing_takes_over_so_nothing_is_retried()
    {
        using var retries = new Retries(multiHost: false);
        var attempts = 0;

        await Assert.ThrowsAsync<NpgsqlException>(() => retries.DriveAsync(retries.Failover.RunAsync(
            retries.Clock, retries.Operation, _ => Fail<int>(ref attempts, new NpgsqlException("No suitable host was found.")))));

        Assert.Equal(1, attempts);
        Assert.Equal(0, retries.PollyRetries);
    }

    [Fact]
    public async Task A_batch_PostgreSQL_rolled_back_is_sent_once_more_and_only_once()
    {
        using var retries = new Retries(multiHost: true);
        var deadlock = new PostgresException("deadlock detected", "ERROR", "ERROR", PostgresErrorCodes.DeadlockDetected);
        var attempts = 0;

        var thrown = await Assert.ThrowsAsync<PostgresException>(() => retries.DriveAsync(retries.RolledBack.RunAsync(
            retries.Clock, retries.Operation, _ => Fail<int>(ref attempts, deadlock))));

        Assert.Same(deadlock, thrown);
        Assert.Equal(2, attempts);
        Assert.Equal(TimeSpan.Zero, retries.Clock.Elapsed);
        Assert.Equal(1, retries.PollyRetries);
        // At least: storage tests running beside this one may have a batch rolled back for real.
        Assert.InRange(retries.StorageRetries("rolled-back"), 1, int.MaxValue);
    }

    [Fact]
    public async Task An_erasure_whose_outcome_is_unknown_is_sent_again_until_an_answer_comes_within_its_patience()
    {
        using var retries = new Retries(multiHost: false);
        var unknown = new CommitOutcomeUnknownException(new NpgsqlException("Exception while reading from stream", new TimeoutException()));
        var attempts = 0;

        var erased = await retries.DriveAsync(retries.UnknownErasure.RunAsync(retries.Clock, retries.Operation, _ =>
            ++attempts < 3 ? Task.FromException<int>(unknown) : Task.FromResult(5)));

        Assert.Equal(5, erased);
        Assert.Equal(3, attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(300), retries.Clock.Elapsed);
        Assert.Equal(2, retries.PollyRetries);
        Assert.InRange(retries.StorageRetries("unknown-erasure"), 2, int.MaxValue);
    }

    [Fact]
    public async Task An_erasure_that_stays_unknown_is_given_up_after_its_patience_and_an_answer_is_never_sent_again()
    {
        using var retries = new Retries(multiHost: false);
        var unknown = new CommitOutcomeUnknownException(new NpgsqlException("Exception while reading from stream", new TimeoutException()));
        var refused = new PostgresException("could not serialize access", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
        var (unknownAttempts, refusedAttempts) = (0, 0);

        var thrown = await Assert.ThrowsAsync<CommitOutcomeUnknownException>(() => retries.DriveAsync(retries.UnknownErasure.RunAsync(
            retries.Clock, retries.Operation, _ => Fail<int>(ref unknownAttempts, unknown))));
        await Assert.ThrowsAsync<PostgresException>(() => retries.DriveAsync(retries.UnknownErasure.RunAsync(
            retries.Clock, retries.Operation + " refused", _ => Fail<int>(ref refusedAttempts, refused))));

        Assert.Same(unknown, thrown);
        Assert.InRange(retries.Clock.Elapsed, DatabaseRetries.ErasurePatience - TimeSpan.FromSeconds(1), DatabaseRetries.ErasurePatience);
        Assert.True(unknownAttempts > 20, $"{unknownAttempts} attempts in {DatabaseRetries.ErasurePatience}");
        Assert.Equal(1, refusedAttempts);
    }

    [Fact]
    public async Task A_starting_process_waits_30_seconds_for_a_database_that_refuses_connections_and_not_for_a_wrong_password()
    {
        using var retries = new Retries(multiHost: false);
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        var started = new List<TimeSpan>();

        await Assert.ThrowsAsync<NpgsqlException>(() => retries.DriveAsync(retries.FirstConnection.RunAsync(retries.Clock, retries.Operation, _ =>
        {
            started.Add(retries.Clock.Elapsed);
            return Task.FromException<int>(refused);
        })));

        Assert.Equal(
            [0, 250, 750, 1750, 3750, 5750, 7750, 9750, 11750, 13750, 15750, 17750, 19750, 21750, 23750, 25750, 27750, 29750],
            started.Select(t => t.TotalMilliseconds));
        Assert.Equal(17, retries.PollyRetries);
        Assert.Equal(17, retries.Log.Count(e => e.Category == typeof(SchemaMigrator).FullName && e.Level == LogLevel.Warning));

        var attempts = 0;
        var wrongPassword = new PostgresException("password authentication failed", "FATAL", "FATAL", PostgresErrorCodes.InvalidPassword);
        await Assert.ThrowsAsync<PostgresException>(() => retries.DriveAsync(retries.FirstConnection.RunAsync(
            retries.Clock, retries.Operation, _ => Fail<int>(ref attempts, wrongPassword))));
        Assert.Equal(1, attempts);
    }

    private static Task<T> Fail<T>(ref int attempts, Exception failure)
    {
        attempts++;
        return Task.FromException<T>(failure);
    }

    /// <summary>A container with the retries registered, a clock the test steps, and what they report.</summary>
    private sealed class Retries : IDisposable
    {
        private readonly ServiceProvider _services;
        private readonly MeterListener _meters = new();
        private readonly ConcurrentQueue<(string Event, string? Pipeline, string? Operation)> _pollyEvents = new();
        private readonly ConcurrentQueue<string?> _storageRetries = new();

        public Retries(bool multiHost)
        {
            // Each test has its own operation key, so that the process-wide meters count only its own.
            Operation = $"test {Guid.NewGuid():N}";
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if ((instrument.Meter.Name, instrument.Name) is (BallMetrics.PollyMeterName, "resilience.polly.strategy.events")
                    or (BallMetrics.MeterName, "ball.storage.retries"))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meters.SetMeasurementEventCallback<int>((_, _, tags, _) =>
                _pollyEvents.Enqueue(((string)Tag(tags, "event.name")!, (string?)Tag(tags, "pipeline.name"), (string?)Tag(tags, "operation.key"))));
            _meters.SetMeasurementEventCallback<long>((_, _, tags, _) => _storageRetries.Enqueue((string?)Tag(tags, "reason")));
            _meters.Start();

            var connection = multiHost ? "Host=127.0.0.2,127.0.0.3;Username=ball" : "Host=127.0.0.2;Username=ball";
            _services = new ServiceCollection()
                .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new CapturingLoggerProvider(Log)))
                .AddSingleton<TimeProvider>(Clock)
                .AddSingleton(multiHost
                    ? new NpgsqlDataSourceBuilder(connection).BuildMultiHost()
                    : new NpgsqlDataSourceBuilder(connection).Build())
                .Configure<VisitorStorageOptions>(o => o.FailoverRetryWindow = Window)
                .AddDatabaseRetries()
                .BuildServiceProvider();
            var pipelines = _services.GetRequiredService<ResiliencePipelineProvider<string>>();
            Failover = pipelines.GetPipeline(DatabaseRetries.Failover);
            RolledBack = pipelines.GetPipeline(DatabaseRetries.RolledBack);
            FirstConnection = pipelines.GetPipeline(DatabaseRetries.FirstConnection);
            UnknownErasure = pipelines.GetPipeline(DatabaseRetries.UnknownErasure);
        }

        public SteppedClock Clock { get; } = new();

        public string Operation { get; }

        public ResiliencePipeline Failover { get; }

        public ResiliencePipeline RolledBack { get; }

        public ResiliencePipeline FirstConnection { get; }

        public ResiliencePipeline UnknownErasure { get; }

        public ConcurrentQueue<LogEntry> Log { get; } = new();

        public IEnumerable<LogEntry> PollyLog => Log.Where(e => e.Category == "Polly" && e.Message.Contains(Operation, StringComparison.Ordinal));

        /// <summary>Polly's OnRetry events of this test's operation, on any of the pipelines.</summary>
        public int PollyRetries => _pollyEvents.Count(e => e is { Event: "OnRetry", Pipeline: not null } && e.Operation == Operation
            && e.Pipeline.StartsWith("BallOrleans.", StringComparison.Ordinal));

        /// <summary>
        /// <c>ball.storage.retries</c> with this reason, counted in the whole process since this
        /// container was made. Nothing else in the test process waits out a failover (the failover
        /// scenarios run their silos as processes), so <c>no-primary</c> counts are this test's own.
        /// </summary>
        public int StorageRetries(string reason) => _storageRetries.Count(r => r == reason);

        /// <summary>Awaits <paramref name="run"/>, moving the clock past each pause as soon as the pipeline starts waiting it.</summary>
        public async Task<T> DriveAsync<T>(Task<T> run)
        {
            while (true)
            {
                var pause = Clock.NextTimerAsync();
                if (await Task.WhenAny(run, pause).WaitAsync(TimeSpan.FromSeconds(30)) == run)
                {
                    return await run;
                }

                Clock.Advance(await pause);
            }
        }

        public void Dispose()
        {
            _meters.Dispose();
            _services.Dispose();
        }

        private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == key)
                {
                    return tag.Value;
                }
            }

            return null;
        }
    }

    /// <summary>A fake clock that tells when a timer is set, and for how long: each is a pause the test moves past.</summary>
    private sealed class SteppedClock : FakeTimeProvider
    {
        private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();
        private readonly DateTimeOffset _start;

        public SteppedClock() => _start = GetUtcNow();

        public TimeSpan Elapsed => GetUtcNow() - _start;

        public Task<TimeSpan> NextTimerAsync() => _timers.Reader.ReadAsync().AsTask();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timers.Writer.TryWrite(dueTime);
            return timer;
        }
    }

    private sealed record LogEntry(string Category, LogLevel Level, string Message);

    private sealed class CapturingLoggerProvider(ConcurrentQueue<LogEntry> entries) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception)));
        }
    }
}
