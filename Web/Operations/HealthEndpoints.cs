using BallOrleans.Grains.Storage;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace BallOrleans.Web.Operations;

/// <summary>
/// <c>/health/live</c>: the process answers (restart it if not). <c>/health/ready</c>: the
/// database and the cluster answer too (send it visitors only then).
/// </summary>
public static class HealthEndpoints
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    private const string ReadyTag = "ready";

    // Short: a probe that hangs is as bad as one that fails, and kubelet's own timeout is 1 s by default.
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(1);

    public static IServiceCollection AddBallHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddNpgSql(name: "database", tags: [ReadyTag], timeout: CheckTimeout)
            .AddCheck<ClusterHealthCheck>("cluster", tags: [ReadyTag], timeout: CheckTimeout);
        return services;
    }

    public static IEndpointRouteBuilder MapBallHealthEndpoints(this IEndpointRouteBuilder app)
    {
        // Liveness runs no check: a database outage must not get every pod restarted.
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return app;
    }
}
