using BallOrleans.Grains.Hosting;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Web.Operations;

/// <summary>
/// <c>cluster-check</c>: joins the cluster as a client with this process's settings (its
/// certificate, <c>Orleans:Tls:*</c>), calls one grain and says whether that worked. For an
/// operator checking a new certificate or CA before rolling it out, and for the transport tests.
/// Exit code 0: the call was answered; 1: it was not (the reason is printed).
/// </summary>
internal static class ClusterCheck
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(IConfiguration configuration)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddConfiguration(configuration);
        // A probe, not a service: only its verdict is printed.
        builder.Logging.ClearProviders();
        var cluster = BallOptions.Get<BallClusterOptions>(builder.Configuration, BallClusterOptions.Section);
        cluster.Dashboard = false;
        builder.AddBallClusterClient(cluster);
        using var host = builder.Build();
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            await host.StartAsync(deadline.Token);
            var hosts = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0)
                .GetHosts(onlyActive: true).WaitAsync(deadline.Token);
            Console.WriteLine($"ball: cluster {cluster.ClusterId} answered: {hosts.Count} active silo(s)");
            return 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Every way of not getting in (refused handshake, no gateway, timeout) is the verdict.
            Console.Error.WriteLine($"ball: cluster {cluster.ClusterId} did not answer: {ex.GetType().Name}: {ex.GetBaseException().Message}");
            return 1;
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await host.StopAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"ball: the client did not stop cleanly: {ex.GetBaseException().Message}");
            }
        }
    }
}
