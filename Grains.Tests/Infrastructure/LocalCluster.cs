using System.Diagnostics;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// Real Silo and Web processes started by <c>deploy/local/cluster.sh</c> (the script the README
/// documents), from this test run's own build, on loopback ports of their own.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _environment;

    private LocalCluster(string runDirectory, int webPort, Dictionary<string, string?> environment)
    {
        RunDirectory = runDirectory;
        WebPort = webPort;
        _environment = environment;
    }

    public string RunDirectory { get; }

    public int WebPort { get; }

    public Uri Site => new($"http://127.0.0.1:{WebPort}/");

    /// <summary>Starts <paramref name="silos"/> silos and the web front end; returns once the site is ready.</summary>
    public static async Task<LocalCluster> StartAsync(string connectionString, int silos, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var runDirectory = Directory.CreateTempSubdirectory("ball-cluster-").FullName;
        // Port blocks of their own, away from the defaults a developer's cluster may hold and
        // below Linux's ephemeral range (32768 up), where outgoing connections take their ports.
        var basePort = 20000 + Random.Shared.Next(0, 250) * 50;
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["CLUSTER_RUN_DIR"] = runDirectory,
            ["CLUSTER_CONFIGURATION"] = BuildConfiguration(),
            ["CLUSTER_SILO_PORT"] = basePort.ToString(),
            ["CLUSTER_GATEWAY_PORT"] = (basePort + 25).ToString(),
            ["Orleans__ClusterId"] = $"test-{Path.GetFileName(runDirectory)}",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        var webPort = PostgresServer.FreePort();
        var cluster = new LocalCluster(runDirectory, webPort, environment);
        await cluster.RunAsync("start", "--silos", silos.ToString(), "--web-port", webPort.ToString(), "--no-build");
        return cluster;
    }

    public Task AddSiloAsync() => RunAsync("add-silo");

    /// <summary>The process id of silo <paramref name="index"/> (1-based), from its pid file.</summary>
    public int SiloPid(int index) => int.Parse(File.ReadAllText(Path.Combine(RunDirectory, $"silo-{index}.pid")).Trim());

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
        await RunAsync("stop");
        try
        {
            Directory.Delete(RunDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Logs left behind in a temporary folder must not fail the run.
        }
    }

    public string Logs() => string.Join('\n', Directory.GetFiles(RunDirectory, "*.log")
        .Select(f => $"--- {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(30))}"));

    private async Task RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(PostgresServer.RepositoryRoot(), "deploy", "local", "cluster.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"cluster.sh {string.Join(' ', args)} failed: {await stderr}{await stdout}\n{Logs()}");
        }
    }

    /// <summary>The tests run the Silo and Web builds that sit next to their own (Debug or Release).</summary>
    internal static string BuildConfiguration() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
}
