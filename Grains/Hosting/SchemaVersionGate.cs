using BallOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly.Registry;

namespace BallOrleans.Grains.Hosting;

/// <summary>
/// A silo's or a web tier's start refuses a database whose schema this build cannot serve
/// (<see cref="SchemaCompatibility"/>). In <see cref="IHostedLifecycleService.StartingAsync"/>,
/// which the host runs before any service's start: before the silo joins the membership table,
/// and before the cluster client looks for gateways.
/// </summary>
internal sealed class SchemaVersionGate(
    NpgsqlDataSource dataSource, ResiliencePipelineProvider<string> pipelines, TimeProvider clock, ILogger<SchemaVersionGate> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var firstConnection = pipelines.GetPipeline(DatabaseRetries.FirstConnection);
        await using var connection = await firstConnection.OpenFirstConnectionAsync(dataSource, clock, cancellationToken);
        if (await SchemaCompatibility.ProblemAsync(connection, cancellationToken) is { } problem)
        {
            // The one line of the refusal; the exception stops the start, and the entry point
            // turns it into the exit code without a stack trace.
            logger.LogCritical("Refusing to start: {Problem}", problem);
            throw new SchemaVersionException(problem);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The database's schema is one this build may not serve from; the message says what to run.</summary>
public sealed class SchemaVersionException(string message) : Exception(message)
{
    /// <summary>The entry points' exit code for it: the operator must migrate (or deploy) first.</summary>
    public const int ExitCode = 3;
}

public static class SchemaVersionGateRegistration
{
    /// <summary>The start's schema check (<see cref="SchemaVersionGate"/>), once however many hosts' parts ask for it.</summary>
    public static IServiceCollection AddSchemaVersionGate(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SchemaVersionGate>());
        return services;
    }
}
