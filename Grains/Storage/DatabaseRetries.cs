using BallOrleans.Grains.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;
using Polly.Telemetry;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// Every retry of a PostgreSQL operation, as a Polly resilience pipeline registered once per
/// process (<see cref="AddDatabaseRetries"/>) and taken from <see cref="Polly.Registry.ResiliencePipelineProvider{TKey}"/>.
/// </summary>
/// <remarks>
/// Registered through Polly's DI, each pipeline reports to Polly's telemetry: a retry is counted in
/// <c>resilience.polly.strategy.events</c> (meter <c>Polly</c>, tags <c>event.name=OnRetry</c> and
/// <c>pipeline.name</c> one of the keys here) and logged under the category <c>Polly</c> at Debug.
/// What an operator reads stays where it was: <c>ball.storage.retries</c>, and the migrator's one-line warning.
/// </remarks>
public static class DatabaseRetries
{
    /// <summary>A grouped-storage read or write that found no primary, tried again within <see cref="VisitorStorageOptions.FailoverRetryWindow"/>.</summary>
    public const string Failover = "BallOrleans.Storage.Failover";

    /// <summary>A grouped-storage write batch that PostgreSQL rolled back (deadlock, serialization failure), sent once more.</summary>
    public const string RolledBack = "BallOrleans.Storage.RolledBack";

    /// <summary>A starting process's first connection, tried again for up to <see cref="StartupPatience"/>.</summary>
    public const string FirstConnection = "BallOrleans.Database.FirstConnection";

    /// <summary>An erasure whose outcome is unknown, sent again for up to <see cref="ErasurePatience"/> (retention's batches).</summary>
    public const string UnknownErasure = "BallOrleans.Storage.UnknownErasure";

    /// <summary>How long a starting process waits for its database to take a connection.</summary>
    public static readonly TimeSpan StartupPatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an erasure with no request waiting for it (a retention batch) is sent again while
    /// its outcome is unknown: long enough to outlast a failover (docs/faults.md, "Database"), short
    /// against a daily run, which picks up whatever is left the next day.
    /// </summary>
    public static readonly TimeSpan ErasurePatience = TimeSpan.FromSeconds(30);

    // When the first attempt of a run began, by the pipelines' clock; see RunAsync.
    private static readonly ResiliencePropertyKey<long> WindowStart = new("BallOrleans.RetryWindowStart");

    private static readonly TimeSpan FailoverFirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FailoverLongestPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StartupFirstPause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StartupLongestPause = TimeSpan.FromSeconds(2);

    private static readonly KeyValuePair<string, object?> NoPrimary = new("reason", "no-primary");
    private static readonly KeyValuePair<string, object?> RolledBackTag = new("reason", "rolled-back");
    private static readonly KeyValuePair<string, object?> UnknownErasureTag = new("reason", "unknown-erasure");

    /// <summary>Registers the four pipelines; needs the <see cref="NpgsqlDataSource"/> and the storage options of the container.</summary>
    public static IServiceCollection AddDatabaseRetries(this IServiceCollection services)
    {
        // Once, however many paths of a host's set-up reach it: Polly would keep the first
        // registration of a key anyway, and the telemetry should not depend on which that was.
        if (services.Any(d => d.ServiceType == typeof(Registered)))
        {
            return services;
        }

        services.AddSingleton<Registered>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddResiliencePipeline(Failover, static (builder, context) =>
        {
            var dataSource = context.ServiceProvider.GetRequiredService<NpgsqlDataSource>();
            var options = context.ServiceProvider.GetRequiredService<IOptions<VisitorStorageOptions>>().Value;
            // Another server can take over only when there is one to connect to.
            var window = dataSource is NpgsqlMultiHostDataSource ? options.FailoverRetryWindow : TimeSpan.Zero;
            builder.ConfigureTelemetry(QuietTelemetry(context.GetOptions<TelemetryOptions>()))
                .AddFailoverRetry(window, dataSource, ClockOf(context.ServiceProvider));
        });
        services.AddResiliencePipeline(RolledBack, static (builder, context) =>
            builder.ConfigureTelemetry(QuietTelemetry(context.GetOptions<TelemetryOptions>())).AddRolledBackRetry());
        services.AddResiliencePipeline(UnknownErasure, static (builder, context) =>
            builder.ConfigureTelemetry(QuietTelemetry(context.GetOptions<TelemetryOptions>()))
                .AddUnknownErasureRetry(ErasurePatience, ClockOf(context.ServiceProvider)));
        services.AddResiliencePipeline(FirstConnection, static (builder, context) =>
            builder.ConfigureTelemetry(QuietTelemetry(context.GetOptions<TelemetryOptions>()))
                .AddFirstConnectionRetry(context.ServiceProvider.GetRequiredService<ILogger<SchemaMigrator>>(), ClockOf(context.ServiceProvider)));
        return services;
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> through <paramref name="pipeline"/>, the retry window
    /// starting now; <paramref name="operation"/> names it in the telemetry (<c>operation.key</c>).
    /// <paramref name="clock"/> must be the pipeline's (the container's <see cref="TimeProvider"/>).
    /// A windowed pipeline run any other way retries nothing.
    /// </summary>
    public static async Task<T> RunAsync<T>(
        this ResiliencePipeline pipeline, TimeProvider clock, string operation, Func<CancellationToken, Task<T>> attempt,
        CancellationToken cancellationToken = default)
    {
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        context.Properties.Set(WindowStart, clock.GetTimestamp());
        try
        {
            return await pipeline.ExecuteAsync(static async (context, attempt) => await attempt(context.CancellationToken), context, attempt);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Reads and writes that certainly did not commit and found no primary
    /// (<see cref="GroupedVisitorStorage.FoundNoPrimary"/>), tried again within
    /// <paramref name="window"/>, with the pooled connections dropped before each retry: those
    /// to a server that was demoted or died would each fail once more before Npgsql noticed.
    /// A commit whose outcome is unknown is a <see cref="CommitOutcomeUnknownException"/>, which
    /// that predicate refuses: sent again, it could count a visit twice.
    /// </summary>
    internal static ResiliencePipelineBuilder AddFailoverRetry(this ResiliencePipelineBuilder builder, TimeSpan window, NpgsqlDataSource dataSource, TimeProvider clock) =>
        builder.AddRetryWithin(window, FailoverFirstPause, FailoverLongestPause, GroupedVisitorStorage.FoundNoPrimary, clock, _ =>
        {
            BallMetrics.StorageRetries.Add(1, NoPrimary);
            dataSource.Clear();
            return ValueTask.CompletedTask;
        });

    /// <summary>
    /// A write batch rolled back by PostgreSQL for a deadlock or a serialization failure, sent
    /// once more at once: nothing of it committed, and every row is version-checked.
    /// </summary>
    internal static ResiliencePipelineBuilder AddRolledBackRetry(this ResiliencePipelineBuilder builder) =>
        builder.AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 1,
            Delay = TimeSpan.Zero,
            ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is PostgresException
            {
                SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure,
            }),
            OnRetry = static _ =>
            {
                BallMetrics.StorageRetries.Add(1, RolledBackTag);
                return ValueTask.CompletedTask;
            },
        });

    /// <summary>
    /// An erasure whose outcome is unknown (<see cref="CommitOutcomeUnknownException"/>), sent
    /// again within <paramref name="window"/>: erasing an erased visitor erases nothing more, and
    /// the erasure that answers confirms the one before it (its commit waits for the standby).
    /// Every other failure is an answer and is thrown as it was. Not for visits: a visit sent again
    /// could count twice.
    /// </summary>
    internal static ResiliencePipelineBuilder AddUnknownErasureRetry(this ResiliencePipelineBuilder builder, TimeSpan window, TimeProvider clock) =>
        builder.AddRetryWithin(window, FailoverFirstPause, FailoverLongestPause, static ex => ex is CommitOutcomeUnknownException, clock, static _ =>
        {
            BallMetrics.StorageRetries.Add(1, UnknownErasureTag);
            return ValueTask.CompletedTask;
        });

    /// <summary>
    /// A starting process's first connection, tried again while Npgsql calls the failure
    /// transient, for up to <see cref="StartupPatience"/>: the connect timeout is short so that
    /// visits fail fast, but a process that starts beside its database (or on a busy machine)
    /// should wait for it rather than exit.
    /// </summary>
    internal static ResiliencePipelineBuilder AddFirstConnectionRetry(this ResiliencePipelineBuilder builder, ILogger logger, TimeProvider clock) =>
        builder.AddRetryWithin(StartupPatience, StartupFirstPause, StartupLongestPause, static ex => ex is NpgsqlException npgsql && SchemaMigrator.IsTransient(npgsql), clock, args =>
        {
            // Polly logs the event too, at Debug and with the stack trace; an operator watching a
            // start needs the one line.
            logger.LogWarning(
                "Database not reachable yet ({Reason}); trying again in {Pause} ms", args.Outcome.Exception?.Message, args.RetryDelay.TotalMilliseconds);
            return ValueTask.CompletedTask;
        });

    /// <summary>
    /// The first connection of a starting process (the migrator, the start's schema check), tried
    /// again through <paramref name="firstConnection"/> (<see cref="AddFirstConnectionRetry"/>).
    /// </summary>
    internal static Task<NpgsqlConnection> OpenFirstConnectionAsync(
        this ResiliencePipeline firstConnection, NpgsqlDataSource dataSource, TimeProvider clock, CancellationToken cancellationToken) =>
        firstConnection.RunAsync(clock, "first connection", async token =>
        {
            try
            {
                return await dataSource.OpenConnectionAsync(token);
            }
            catch (NpgsqlException) when (dataSource is NpgsqlMultiHostDataSource multiHost)
            {
                // Several hosts: each that failed is skipped as offline for Host Recheck Seconds,
                // longer than the pause, and the next try would find no host at all to try.
                multiHost.ClearDatabaseStates();
                throw;
            }
        }, cancellationToken);

    /// <summary>How long a migration may keep trying to take a lock that tables in use hold (<see cref="AddMigrationLockRetry"/>).</summary>
    public static readonly TimeSpan MigrationLockPatience = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A migration run that gave up a lock after <c>lock_timeout</c> (SQLSTATE 55P03: a visit held
    /// the table) is rolled back whole and run again: a queued ACCESS EXCLUSIVE request would make
    /// every later visit of that table wait behind it, so the migrator waits in the open, between
    /// tries, instead of in the lock queue.
    /// </summary>
    internal static ResiliencePipelineBuilder AddMigrationLockRetry(this ResiliencePipelineBuilder builder, ILogger logger, TimeProvider clock) =>
        builder.AddRetryWithin(MigrationLockPatience, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5),
            static ex => ex is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable }, clock, args =>
            {
                logger.LogWarning("A migration gave way to visits holding its table ({Reason}); trying again in {Pause} ms",
                    args.Outcome.Exception?.Message, args.RetryDelay.TotalMilliseconds);
                return ValueTask.CompletedTask;
            });

    /// <summary>
    /// Retries what <paramref name="retries"/> accepts, pausing <paramref name="firstPause"/>,
    /// then twice as long each time up to <paramref name="longestPause"/>, while the retry would
    /// begin within <paramref name="window"/> of the first attempt's start (pauses included);
    /// the last failure is thrown as it was. Not Polly's timeout strategy: it cancels the
    /// attempt in flight (a write that may be committing) and throws its own exception in place
    /// of the database's, which is what callers classify.
    /// </summary>
    private static ResiliencePipelineBuilder AddRetryWithin(
        this ResiliencePipelineBuilder builder, TimeSpan window, TimeSpan firstPause, TimeSpan longestPause,
        Func<Exception, bool> retries, TimeProvider clock, Func<OnRetryArguments<object>, ValueTask> onRetry)
    {
        TimeSpan Pause(int retry) => TimeSpan.FromMilliseconds(Math.Min(firstPause.TotalMilliseconds * Math.Pow(2, retry), longestPause.TotalMilliseconds));

        return builder.AddRetry(new RetryStrategyOptions
        {
            // Bounded by the window, not by a count.
            MaxRetryAttempts = int.MaxValue,
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Pause(args.AttemptNumber)),
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } ex
                && retries(ex)
                && args.Context.Properties.TryGetValue(WindowStart, out var started)
                && clock.GetElapsedTime(started) + Pause(args.AttemptNumber) < window),
            OnRetry = onRetry,
        });
    }

    /// <summary>
    /// Polly's telemetry, but quiet where Polly is loud: it would log every attempt of every
    /// storage batch at Information (the visit path logs nothing per visit), and a retry at
    /// Warning with its stack trace. Retries are logged at Debug, attempts not at all.
    /// </summary>
    private static TelemetryOptions QuietTelemetry(TelemetryOptions configured) =>
        new(configured)
        {
            SeverityProvider = static args => args.Event.EventName == "ExecutionAttempt" ? ResilienceEventSeverity.None : ResilienceEventSeverity.Debug,
        };

    private static TimeProvider ClockOf(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;

    private sealed class Registered;
}
