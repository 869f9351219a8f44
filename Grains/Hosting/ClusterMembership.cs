using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace BallOrleans.Grains.Hosting;

/// <summary>
/// Membership tuned to declare a dead silo in a few seconds (Orleans' defaults take 10–15 s), and
/// to delete dead silos' rows. Any <see cref="ClusterMembershipOptions"/> property can be
/// overridden under <c>Orleans:Membership</c>.
/// </summary>
public static class ClusterMembership
{
    public const string Section = "Orleans:Membership";

    public static ISiloBuilder UseBallMembership(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            // A probe a second, suspected after two misses, dead on two votes: a killed silo
            // (connection refused, so a probe fails at once) is declared dead in about 1 s, a
            // frozen or cut-off one (each probe waits out its timeout) in about 2.5 s
            // (docs/faults.md). On two shared cores a GC pause can exceed a second, which is why a
            // single miss is not enough.
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            // Orleans stretches a probe's timeout up to this while the prober itself is slow
            // (default 4 x ProbeTimeout), and it also sets the window in which any message from a
            // silo counts as proof it is alive: MaxProbeTimeout x NumMissedProbesLimit, 8 s by
            // default. A silo frozen just after it sent something kept every vote away for those
            // 8 s, and visits to its grains failed meanwhile; 1 s makes that window 2 s
            // (docs/faults.md has the figures).
            o.MaxProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 2;
            // Read the table often: the table is how the others learn of a death quickly.
            o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(30);
            // Dead silos' rows are deleted an hour after they were last heard of.
            o.DefunctSiloCleanupPeriod = TimeSpan.FromMinutes(10);
            o.DefunctSiloExpiration = TimeSpan.FromHours(1);
        });
        silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection(Section));
        // A stop with the database unreachable ends within the host's shutdown timeout.
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, MembershipStopBudget>();
        return silo;
    }
}
