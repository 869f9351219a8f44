using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BallOrleans.Grains.Privacy;

/// <summary>Registers erasure (forget-me and retention) in a silo.</summary>
public static class PrivacyServices
{
    public static IServiceCollection AddVisitorErasure(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>()
            .Bind(configuration.GetSection(RetentionOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<VisitorEraser>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, RetentionStartup>();
        return services;
    }
}
