using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL, started through the same script developers use (<c>deploy/local/postgres.sh</c>)
/// in a temporary folder, on a free loopback port. As a class fixture it is a handle on the test
/// process's one shared server: the first class to ask starts it, test classes run side by side,
/// each in a database of its own (so they never see each other's rows), and the server stops when
/// the test process exits. <see cref="Private"/> gives a test a server of its own to stop and crash.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    // xunit 2 has no assembly fixture: a lazily started server, stopped at process exit, is the
    // shared one. A class fixture per class would start (and initdb) a server per class.
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartSharedAsync);
    private static int s_databases;

    private readonly bool _isHandle;
    private string _directory;
    private string _adminConnectionString = "";
    private int _port;

    /// <summary>A handle on the run's shared server (the class fixture).</summary>
    public PostgresServer()
        : this("shared") => _isHandle = true;

    private PostgresServer(string name) =>
        _directory = Path.Combine(Path.GetTempPath(), $"ball-test-pg-{Environment.ProcessId}-{name}");

    /// <summary>A server of one's own, for a test that stops and starts it (call InitializeAsync).</summary>
    public static PostgresServer Private(string name) => new(name);

    public async Task InitializeAsync()
    {
        if (_isHandle)
        {
            var shared = await Shared.Value;
            (_directory, _port, _adminConnectionString) = (shared._directory, shared._port, shared._adminConnectionString);
            return;
        }

        _port = FreePort();
        await StartAsync();
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var server = new PostgresServer("shared");
        await server.InitializeAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().GetAwaiter().GetResult();
        return server;
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
        if (_isHandle)
        {
            return; // the shared server outlives every class; it stops with the process
        }

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

    /// <summary>
    /// A fresh database with this build's schema, migrated as its owner as <c>migrate</c> would;
    /// returns the runtime role's connection string, which is what silos and sites get: tests run
    /// with exactly the privileges production has (<see cref="AsOwner"/> for a test that must do more).
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string purpose)
    {
        var owner = await CreateEmptyDatabaseAsync(purpose);
        await using (var dataSource = NpgsqlDataSource.Create(owner))
        {
            await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync();
        }

        return AsRuntime(owner);
    }

    /// <summary>A fresh database owned by the migration role, with no schema; returns the owner's connection string.</summary>
    public async Task<string> CreateEmptyDatabaseAsync(string purpose)
    {
        var name = $"t{Interlocked.Increment(ref s_databases)}_{new string(purpose.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(40).ToArray())}";
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" OWNER {OwnerRole}", connection);
        await command.ExecuteNonQueryAsync();
        return AsOwner(new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name }.ConnectionString);
    }

    /// <summary>The migration role, which owns each test database and its schema (deploy/local/postgres.sh makes it).</summary>
    public const string OwnerRole = "ball_owner";

    /// <summary>The same database as the schema's owner (the migration role): for a test that changes the schema or must see past the runtime's grants.</summary>
    public string AsOwner(string connectionString) => As(connectionString, OwnerRole);

    /// <summary>The same database as the runtime role, what silos and sites log in as.</summary>
    public string AsRuntime(string connectionString) => As(connectionString, SchemaMigrator.RuntimeRole);

    /// <summary>The same database as the server's superuser: for what only it may do (server settings, other roles' sessions).</summary>
    public string AsSuperuser(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Username = "postgres", Password = new NpgsqlConnectionStringBuilder(_adminConnectionString).Password }.ConnectionString;

    private string As(string connectionString, string role) =>
        new NpgsqlConnectionStringBuilder(connectionString)
        {
            Username = role,
            Password = File.ReadAllText(Path.Combine(_directory, $"password-{role}")).Trim(),
        }.ConnectionString;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        var script = Path.Combine(Repository.Root(), "deploy", "local", "postgres.sh");
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

/// <summary>
/// Tests that read process-wide figures (meters, PostgreSQL's table statistics, batch sizes) or
/// measure time: they run after the parallel classes, one at a time, so nobody else's work shows up
/// in their numbers.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
