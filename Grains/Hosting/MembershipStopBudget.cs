using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace BallOrleans.Grains.Hosting;

/// <summary>
/// Bounds the membership table writes of a stop by the host's shutdown timeout.
/// </summary>
/// <remarks>
/// A stopping silo writes its status to the table twice: ShuttingDown (before its grains
/// deactivate) and Dead (last). Orleans retries each write, with a backoff of one second growing
/// to a minute, for up to <see cref="ClusterMembershipOptions.MaxJoinAttemptTime"/> (5 minutes by
/// default) and gives up only when its own fixed one-minute deadline for each write passes. With
/// the database unreachable, a SIGTERM therefore took two minutes (measured: 120 s), whatever
/// <c>DOTNET_SHUTDOWNTIMEOUTSECONDS</c> said, and the host's timeout cancelled the grains'
/// deactivation instead, as it had run out waiting for the first write.
/// <para>
/// Orleans reads <see cref="ClusterMembershipOptions.MaxJoinAttemptTime"/> at each write, from the
/// one options instance of the silo, so this shortens it when the stop begins (its stop is the
/// first of the silo's, at <see cref="ServiceLifecycleStage.Last"/>) to a tenth of the shutdown
/// timeout. A write then stops retrying after that and at most one backoff more (1–3 s after the
/// first try, up to 5 s after the second): both writes, failing, take a fraction of the timeout
/// and leave the rest to the grains. A reachable database answers the first try, as before. Not
/// shortened from the start: joining a cluster uses the same setting, and other silos evict one
/// that stays longer than it in Joining.
/// </para>
/// </remarks>
internal sealed class MembershipStopBudget(IOptions<ClusterMembershipOptions> membership, IOptions<HostOptions> host)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(MembershipStopBudget), ServiceLifecycleStage.Last, _ => Task.CompletedTask, OnStop);

    /// <summary>How long a stop's status write is retried, for a host that may take <paramref name="shutdownTimeout"/> to stop.</summary>
    public static TimeSpan For(TimeSpan shutdownTimeout, TimeSpan configured) =>
        TimeSpan.FromTicks(Math.Min(shutdownTimeout.Ticks / 10, configured.Ticks));

    private Task OnStop(CancellationToken cancellationToken)
    {
        var options = membership.Value;
        options.MaxJoinAttemptTime = For(host.Value.ShutdownTimeout, options.MaxJoinAttemptTime);
        return Task.CompletedTask;
    }
}
