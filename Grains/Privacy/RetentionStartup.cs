using BallOrleans.Grains.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Privacy;

/// <summary>
/// When <see cref="RetentionOptions.Days"/> is set, wakes the <see cref="IRetentionGrain"/> once
/// the silo is up and every hour after, so that its timer runs somewhere in the cluster even after
/// the silo that held it is gone. Every silo does this; the grain is one.
/// </summary>
internal sealed class RetentionStartup(IGrainFactory grains, IOptions<RetentionOptions> options, ILogger<RetentionStartup> logger)
    : SiloChore(TimeSpan.FromHours(1), logger)
{
    protected override string Name => "Waking the retention grain";

    protected override bool Enabled => options.Value.Days > 0;

    protected override Task RunOnceAsync(CancellationToken stopping) => grains.GetGrain<IRetentionGrain>(0).StartAsync();
}
