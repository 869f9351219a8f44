using BallOrleans.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// The real web application (co-hosting its silo, ADO.NET clustering and storage on a test
/// database) served by Kestrel on a free loopback port, so that raw sockets and a real browser
/// can reach it as well as HttpClient.
/// </summary>
public sealed class BallWebApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public BallWebApp(string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    {
        Port = PostgresServer.FreePort();
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["Orleans:ClusterId"] = $"web-{Port}",
            ["Orleans:ServiceId"] = TestClusters.ServiceId,
            ["Orleans:SiloPort"] = PostgresServer.FreePort().ToString(),
            ["Orleans:GatewayPort"] = PostgresServer.FreePort().ToString(),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        UseKestrel(Port);
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts the server (idempotent) and returns a client that sends only the cookies a test gives it.</summary>
    public HttpClient CreateCookielessClient()
    {
        StartServer();
        return new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = BaseAddress };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
