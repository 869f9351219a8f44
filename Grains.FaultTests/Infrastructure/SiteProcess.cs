using System.Diagnostics;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// The site as an operator runs it: <c>dotnet Web.dll</c> from this test run's build of Web, as a
/// process of its own, started from whatever working directory a test picks; its output is kept.
/// </summary>
public sealed class SiteProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private SiteProcess(Process process) => _process = process;

    public static string WebDll => Path.Combine(
        Repository.Root(), "Web", "bin", LocalCluster.BuildConfiguration(), "net10.0", "Web.dll");

    /// <summary>Every line written so far, standard output and error interleaved as they arrived.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public static SiteProcess Start(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        // Ctrl-C is SIGINT. A process started in the background of a script inherits SIGINT
        // ignored, and so would the site: env puts the default disposition back first.
        var start = new ProcessStartInfo("env")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--default-signal=INT", "dotnet", WebDll }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        // The site's own settings decide, not whatever the test run happens to carry.
        foreach (var inherited in new[] { "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "ASPNETCORE_URLS", "ConnectionStrings__Postgres" })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var site = new SiteProcess(new Process { StartInfo = start });
        site._process.OutputDataReceived += (_, e) => site.Add(e.Data);
        site._process.ErrorDataReceived += (_, e) => site.Add(e.Data);
        site._process.Start();
        site._process.BeginOutputReadLine();
        site._process.BeginErrorReadLine();
        return site;
    }

    /// <summary>Waits until a line contains <paramref name="text"/>; fails with the output if the process exits or time runs out.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
            {
                Assert.Fail($"no line with '{text}' after {clock.Elapsed.TotalSeconds:0.0} s (exited: {_process.HasExited}):\n{Output()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal does.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Sends SIGTERM, as Kubernetes, systemd or <c>kill</c> do.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end; fails with the output if it does not in time.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the site did not exit within {timeout.TotalSeconds} s:\n{Output()}");
        }

        // The last lines may still be in the pipes' readers.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public string Output() => string.Join('\n', Lines);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
    }
}
