using System.Diagnostics;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// Real Silo and Web processes started by <c>deploy/local/cluster.sh</c> (the script the README
/// documents), from this test run's own build, on loopback ports of their own, or each in a
/// network namespace of its own (<see cref="NetworkNamespaces"/>).
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _environment;

    private LocalCluster(string runDirectory, Uri site, Dictionary<string, string?> environment)
    {
        RunDirectory = runDirectory;
        Site = site;
        _environment = environment;
    }

    public string RunDirectory { get; }

    public Uri Site { get; }

    public string ClusterId => _environment["Orleans__ClusterId"]!;

    /// <summary>A run directory and a block of ports for a cluster, before it starts.</summary>
    public static (string RunDirectory, int SiloPort, int GatewayPort) Reserve()
    {
        // Port blocks of their own, away from the defaults a developer's cluster may hold and
        // below Linux's ephemeral range (32768 up), where outgoing connections take their ports.
        var basePort = 20000 + Random.Shared.Next(0, 250) * 50;
        return (Directory.CreateTempSubdirectory("ball-cluster-").FullName, basePort, basePort + 25);
    }

    /// <summary>Starts <paramref name="silos"/> silos and the web front end; returns once the site is ready.</summary>
    public static async Task<LocalCluster> StartAsync(
        string connectionString, int silos, IReadOnlyDictionary<string, string?>? settings = null,
        NetworkNamespaces? network = null, (string RunDirectory, int SiloPort, int GatewayPort)? reserved = null,
        params string[] options)
    {
        var (runDirectory, siloPort, gatewayPort) = reserved ?? Reserve();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["CLUSTER_RUN_DIR"] = runDirectory,
            ["CLUSTER_CONFIGURATION"] = BuildConfiguration(),
            ["CLUSTER_SILO_PORT"] = siloPort.ToString(),
            ["CLUSTER_GATEWAY_PORT"] = gatewayPort.ToString(),
            ["Orleans__ClusterId"] = $"test-{Path.GetFileName(runDirectory)}",
            ["Logging__LogLevel__Default"] = "Warning",
            // VisitLoad's workers reload every 5-20 ms (50-200 visits a second each), and a visit
            // over a limit shows a ball with views that the history checker would read as counted:
            // the scenarios measure faults, so the limits are raised well clear of the load.
            // Per cookie: 1,000 a second sustained, against at most 200.
            ["Visits__PerCookiePerMinute"] = "60000",
            ["Visits__PerCookieBurst"] = "1000",
            // In all: 5,000 new visitors a second, against the load's few hundred at most (every
            // 4th visit of a dozen workers a newcomer), and at most 100,000 visits a load.
            ["NewVisitors__GlobalPerSecond"] = "5000",
            ["NewVisitors__GlobalBurst"] = "100000",
        };
        foreach (var (key, value) in (network?.Environment ?? new Dictionary<string, string?>()).Concat(settings ?? new Dictionary<string, string?>()))
        {
            environment[key] = value;
        }

        var webPort = PostgresServer.FreePort();
        var site = new Uri($"http://{network?.Web.ToString() ?? "127.0.0.1"}:{webPort}/");
        var cluster = new LocalCluster(runDirectory, site, environment);
        string[] start = ["start", "--silos", silos.ToString(), "--web-port", webPort.ToString(), "--no-build"];
        await cluster.CommandAsync([.. start, .. network is null ? Array.Empty<string>() : ["--netns"], .. options]);
        return cluster;
    }

    public Task AddSiloAsync() => CommandAsync("add-silo");

    /// <summary>
    /// A certificate from the CA of <paramref name="runDirectory"/> (this cluster's, or another
    /// folder's for a CA of its own): the <c>Orleans__Tls__*</c> settings that use it.
    /// </summary>
    public static async Task<Dictionary<string, string?>> CertificateAsync(string runDirectory, string role, string name)
    {
        var printed = await RunScriptAsync(new Dictionary<string, string?> { ["CLUSTER_RUN_DIR"] = runDirectory }, "cert", role, name);
        return printed.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => (string?)pair[1]);
    }

    /// <summary>
    /// Starts <paramref name="command"/> as another host of the cluster's network would run it
    /// (<c>cluster.sh guest</c>: with --netns, from a namespace of its own), with this cluster's
    /// settings and <paramref name="settings"/> on top.
    /// </summary>
    public Process StartGuest(IReadOnlyDictionary<string, string?> settings, params string[] command)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root(), "deploy", "local", "cluster.sh"));
        start.ArgumentList.Add("guest");
        foreach (var word in command)
        {
            start.ArgumentList.Add(word);
        }

        foreach (var (key, value) in _environment.Concat(settings))
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    /// <summary>Runs <paramref name="command"/> as <see cref="StartGuest"/> does, to its end; returns its exit code and what it printed.</summary>
    public async Task<(int ExitCode, string Output)> GuestAsync(IReadOnlyDictionary<string, string?> settings, params string[] command)
    {
        using var process = StartGuest(settings, command);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, $"{await stdout}{await stderr}".Trim());
    }

    /// <summary>The path of a program of this test run's build (Web or Silo).</summary>
    public static string Program(string project) =>
        Path.Combine(Repository.Root(), project, "bin", BuildConfiguration(), "net10.0", $"{project}.dll");

    /// <summary>Runs a cluster.sh command on this cluster (e.g. <c>partition 2 --one-way</c>); returns what it printed.</summary>
    public Task<string> CommandAsync(params string[] args) => RunScriptAsync(_environment, args);

    /// <summary>The process id of silo <paramref name="index"/> (1-based), from its pid file.</summary>
    public int SiloPid(int index) => int.Parse(File.ReadAllText(Path.Combine(RunDirectory, $"silo-{index}.pid")).Trim());

    /// <summary>Whether silo <paramref name="index"/>'s process is still there (frozen counts as there).</summary>
    public bool SiloRunning(int index)
    {
        try
        {
            using var process = Process.GetProcessById(SiloPid(index));
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The silo-to-silo port of silo <paramref name="index"/>, as cluster.sh assigns it.</summary>
    public int SiloPort(int index) => int.Parse(_environment["CLUSTER_SILO_PORT"]!) + index - 1;

    /// <summary>Sends a signal (9 = KILL, 15 = TERM) to silo <paramref name="index"/>.</summary>
    public void Signal(int index, int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", SiloPid(index).ToString()]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        await CommandAsync("stop");
        if (Environment.GetEnvironmentVariable("BALL_TEST_KEEP_LOGS") == "1")
        {
            return; // a failure's whole logs, for whoever reruns a cluster test to see why
        }

        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Logs left behind in a temporary folder must not fail the run.
        }
    }

    public string Logs() => Logs(RunDirectory);

    /// <summary>The warnings and failures every process logged, for a test that failed to say why.</summary>
    public string Warnings(int most = 60) => string.Join('\n', Directory.GetFiles(RunDirectory, "*.log")
        .SelectMany(f => File.ReadLines(f)
            .Where(line => line.Contains("warn:", StringComparison.Ordinal) || line.Contains("fail:", StringComparison.Ordinal))
            .Where(line => !line.Contains("Watchdog", StringComparison.Ordinal) && !line.Contains("ServerGC", StringComparison.Ordinal))
            .Select(line => $"{Path.GetFileNameWithoutExtension(f)}: {(line.Length > 400 ? line[..400] : line)}"))
        .TakeLast(most));

    private static string Logs(string runDirectory) => string.Join('\n', Directory.GetFiles(runDirectory, "*.log")
        .Select(f => $"--- {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(30))}"));

    /// <summary>Runs deploy/local/cluster.sh with <paramref name="environment"/>; returns its output, or throws with it and the logs.</summary>
    public static async Task<string> RunScriptAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root(), "deploy", "local", "cluster.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Generous: on a busy 2-core machine a start of three silos and the web tier, each
        // process's first TLS handshakes included, has taken over 90 s; `start --pg-ha` also makes
        // three PostgreSQL nodes before the silos.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(args is ["start", ..] ? 420 : 180));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            var logs = environment.TryGetValue("CLUSTER_RUN_DIR", out var directory) && directory is not null ? Logs(directory) : "";
            throw new InvalidOperationException($"cluster.sh {string.Join(' ', args)} failed: {await stderr}{await stdout}\n{logs}");
        }

        return await stdout;
    }

    /// <summary>The tests run the Silo and Web builds that sit next to their own (Debug or Release).</summary>
    internal static string BuildConfiguration() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
}
