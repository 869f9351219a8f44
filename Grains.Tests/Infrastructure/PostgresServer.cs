using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for the whole test run, started through the same script developers use
/// (<c>deploy/local/postgres.sh</c>) in a temporary folder, on a free loopback port. Each test
/// class asks for a database of its own, so classes never see each other's rows.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _directory;
    private string _adminConnectionString = "";
    private int _port;
    private int _databases;

    /// <summary>The run's shared server (the collection fixture).</summary>
    public PostgresServer()
        : this("shared")
    {
    }

    private PostgresServer(string name) =>
        _directory = Path.Combine(Path.GetTempPath(), $"ball-test-pg-{Environment.ProcessId}-{name}");

    /// <summary>A server of one's own, for a test that stops and starts it (call InitializeAsync).</summary>
    public static PostgresServer Private(string name) => new(name);

    public async Task InitializeAsync()
    {
        _port = FreePort();
        await StartAsync();
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port and data.</summary>
    public async Task StartAsync()
    {
        // fsync off: these tests check what the application writes, not what survives a power cut.
        var output = await RunScriptAsync("start", _directory, _port.ToString(), "--no-fsync");
        // Connections pooled before a stop or a crash are dead: the next probe must not get one.
        NpgsqlConnection.ClearAllPools();
        _adminConnectionString = new NpgsqlConnectionStringBuilder(output.Trim()) { Database = "postgres" }.ConnectionString;
    }

    /// <summary>Stops the server (fast shutdown: open sessions are cut, as in a crash of the database host).</summary>
    public Task StopAsync() => RunScriptAsync("stop", _directory);

    /// <summary>Crashes the server: SIGKILL of its whole process group, so nothing is shut down (StartAsync recovers it).</summary>
    public Task KillAsync() => RunScriptAsync("kill", _directory);

    /// <summary>The loopback port the server listens on.</summary>
    public int Port => _port;

    /// <summary>The folder postgres.sh keeps the server in (data, socket folder, password file).</summary>
    public string Folder => _directory;

    /// <summary>The superuser's connection string to the <c>postgres</c> database, password included.</summary>
    public string AdminConnectionString => _adminConnectionString;

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunScriptAsync("stop", _directory);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean: a stray file must not fail the run.
        }
    }

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{new string(purpose.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(40).ToArray())}";
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name }.ConnectionString;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BallOrleans.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("BallOrleans.sln not found above the test binaries");
    }

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        var script = Path.Combine(RepositoryRoot(), "deploy", "local", "postgres.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', args)} failed: {await stderr}");
        }

        return await stdout;
    }
}

/// <summary>All tests that use PostgreSQL share one server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
