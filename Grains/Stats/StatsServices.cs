using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BallOrleans.Grains.Stats;

/// <summary>Registers the stats pipeline in a silo, and the stats store anywhere (options: <see cref="Hosting.BallOptions"/>).</summary>
public static class StatsServices
{
    public static IServiceCollection AddStatsStore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StatsStore>();
        services.TryAddSingleton<ReadModelHealer>();
        return services;
    }

    /// <summary>The observer that queues visits, the per-silo aggregator's start-up, and the store.</summary>
    public static IServiceCollection AddStatsPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStatsStore();
        services.TryAddSingleton<VisitQueue>();
        services.TryAddSingleton<IVisitObserver, QueueingVisitObserver>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, AggregatorStartup>();
        return services;
    }
}
