using Orleans.Runtime;

namespace BallOrleans.Web.Visits;

/// <summary>Which failures of a grain call mean "the cluster is changing, try again" rather than "this failed".</summary>
public static class ClusterFaults
{
    /// <summary>
    /// A silo died, is shutting down or joining, or a gateway dropped: the call may or may not have
    /// run, so a retry must be idempotent (visits carry a request id for that). Never a database
    /// failure, even one that reached us wrapped in the runtime's exception: retrying would only
    /// make the 503 late.
    /// </summary>
    public static bool IsTransient(Exception exception)
    {
        if (DatabaseFailure.IsCauseOf(exception))
        {
            return false;
        }

        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                // The runtime could not deliver the call or activate its grain: a silo unavailable,
                // a rejected message, a busy gateway, placement that outlived the message, a
                // registration refused because membership was still changing ("Trying to register
                // ... on invalid silo", seen when a silo had just joined).
                case OrleansException:
                case TimeoutException:
                case System.Net.Sockets.SocketException:
                case Microsoft.AspNetCore.Connections.ConnectionAbortedException:
                    return true;
            }
        }

        return false;
    }
}
