using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace BallOrleans.Grains.Stats;

/// <summary>Activates this silo's <see cref="VisitAggregatorGrain"/> once the silo is up; its timer keeps it alive.</summary>
internal sealed class AggregatorStartup(IGrainFactory grains, ILogger<AggregatorStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(AggregatorStartup), ServiceLifecycleStage.Active, StartAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        // A stateless worker called from inside a silo is activated on that silo.
        await grains.GetGrain<IVisitAggregatorGrain>(0).StartAsync();
        logger.LogInformation("Stats aggregator started on this silo");
    }
}
