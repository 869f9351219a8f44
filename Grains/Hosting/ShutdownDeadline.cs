using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Hosting;

/// <summary>
/// The last resort of a stop: a process still stopping when the host's shutdown timeout
/// (<c>DOTNET_SHUTDOWNTIMEOUTSECONDS</c>) has passed says so in one line and exits.
/// </summary>
/// <remarks>
/// When the timeout passes, .NET's host cancels the token it gave each service's stop, but it
/// still waits for every stop to return, and then for the container's disposal, which stops the
/// silo once more and waits for it. A part that does not honour the token therefore holds the
/// process past the timeout that Kubernetes' grace period and the docs count on. The known case
/// (Orleans retrying membership writes under deadlines of its own) is kept short by
/// <see cref="MembershipStopBudget"/>; this bounds the cases not known yet.
/// <para>
/// Armed by the entry points only (Web and Silo <c>Program.cs</c>, after the host is built), and
/// only when they are the process's own entry point: a site or silo hosted inside a test process
/// must never end that process.
/// </para>
/// </remarks>
public static class ShutdownDeadline
{
    /// <summary>The exit code of a stop that the deadline cut short (a stop that ends by itself exits 0).</summary>
    public const int CutShortExitCode = 1;

    /// <param name="host">The process's host.</param>
    /// <param name="program">The assembly of the calling entry point: unless it is the process's
    /// entry assembly, nothing is armed. A test's <c>WebApplicationFactory</c> runs the site's
    /// <c>Program</c> inside the test process (whose entry assembly is the test host's), and a
    /// slow stop there must fail a test, not end the whole run.</param>
    public static void ExitAtShutdownTimeout(this IHost host, System.Reflection.Assembly program)
    {
        if (System.Reflection.Assembly.GetEntryAssembly() != program)
        {
            return;
        }

        var services = host.Services;
        var timeout = services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        // Taken now: by the time the deadline passes, the container may be half disposed.
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("BallOrleans.Shutdown");
        var providers = services.GetServices<ILoggerProvider>().ToList();
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() =>
            _ = ExitAfterAsync(timeout, logger, providers));
    }

    private static async Task ExitAfterAsync(TimeSpan timeout, ILogger logger, IReadOnlyList<ILoggerProvider> providers)
    {
        await Task.Delay(timeout);
        logger.LogError("The stop did not end within the shutdown timeout ({Seconds} s, DOTNET_SHUTDOWNTIMEOUTSECONDS); exiting without waiting for the rest",
            timeout.TotalSeconds);
        // The console logger writes from a queue of its own: disposing it writes out what is queued.
        foreach (var provider in providers)
        {
            provider.Dispose();
        }

        Environment.Exit(CutShortExitCode);
    }
}
