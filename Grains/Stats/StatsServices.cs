using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BallOrleans.Grains.Stats;

/// <summary>Registers the stats options and the read-model services.</summary>
public static class StatsServices
{
    public static IServiceCollection AddStatsOptions(this IServiceCollection services, IConfiguration configuration)
    {
        // The co-hosting web process calls this for its silo and for itself: validate once.
        if (services.Any(d => d.ServiceType == typeof(StatsStore)))
        {
            return services;
        }

        services.AddOptions<StatsOptions>()
            .Bind(configuration.GetSection(StatsOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StatsStore>();
        services.TryAddSingleton<ReadModelHealer>();
        return services;
    }
}
