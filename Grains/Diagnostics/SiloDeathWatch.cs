using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BallOrleans.Grains.Diagnostics;

/// <summary>
/// Counts the silos the membership protocol declares dead (<see cref="BallMetrics.SilosDeclaredDead"/>),
/// from the membership updates this silo receives, so that an alert can fire on a failover.
/// </summary>
public sealed class SiloDeathWatch(IClusterMembershipService membership, ILogger<SiloDeathWatch> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The counter exists from the start, so that increase() sees the first death.
        BallMetrics.SilosDeclaredDead.Add(0);
        var dead = new HashSet<SiloAddress>();
        var primed = false;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                foreach (var member in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead))
                {
                    // The first snapshot holds the dead of earlier runs: remembered, not counted.
                    if (dead.Add(member.SiloAddress) && primed)
                    {
                        BallMetrics.SilosDeclaredDead.Add(1);
                        logger.LogWarning("Silo {Silo} declared dead", member.SiloAddress);
                    }
                }

                primed = true;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
