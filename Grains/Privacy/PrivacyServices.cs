using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BallOrleans.Grains.Privacy;

/// <summary>Registers erasure (forget-me and retention) in a silo; <see cref="RetentionOptions"/> are bound with the others (<c>BallOptions</c>).</summary>
public static class PrivacyServices
{
    public static IServiceCollection AddVisitorErasure(this IServiceCollection services)
    {
        services.TryAddSingleton<VisitorEraser>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, RetentionStartup>();
        return services;
    }
}
