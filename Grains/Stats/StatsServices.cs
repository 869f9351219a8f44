using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BallOrleans.Grains.Stats;

/// <summary>Registers the read-model services, wherever they are used (options: <see cref="Hosting.BallOptions"/>).</summary>
public static class StatsServices
{
    public static IServiceCollection AddStatsStore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StatsStore>();
        services.TryAddSingleton<SplitCheckLatches>();
        services.TryAddSingleton<ReadModelFromGrainState>();
        return services;
    }
}
