using Orleans.Runtime;

namespace BallOrleans.Web.Visits;

/// <summary>Which failures of a grain call mean "the cluster is changing, try again" rather than "this failed".</summary>
public static class ClusterFaults
{
    /// <summary>
    /// A silo died, is shutting down, or a gateway dropped: the call may or may not have run, so
    /// a retry must be idempotent (visits carry a request id for that).
    /// </summary>
    public static bool IsTransient(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                // The database refused or timed out (its inner exception is often a socket
                // error): not the cluster's doing, and retrying would only make the 503 late.
                case System.Data.Common.DbException:
                    return false;
                case SiloUnavailableException:
                case OrleansMessageRejectionException:
                case GatewayTooBusyException:
                case ClientNotAvailableException:
                case TimeoutException:
                case System.Net.Sockets.SocketException:
                case Microsoft.AspNetCore.Connections.ConnectionAbortedException:
                    return true;
                case OrleansException when ex.GetType().Name is "ConnectionFailedException" or "SiloUnavailableException":
                    return true;
            }
        }

        return false;
    }
}
