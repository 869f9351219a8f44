using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// The real web application (co-hosting its silo, ADO.NET clustering and storage on a test
/// database, under the tests' fixed ServiceId) served by Kestrel on a free loopback port, so that
/// raw sockets and a real browser can reach it as well as HttpClient; with a
/// <see cref="TestIngress"/>, also on an HTTPS port that only the ingress proxy's certificate opens.
/// </summary>
public sealed class BallWebApp : WebApplicationFactory<Program>
{
    /// <summary>The admin password every test site has, unless a test says otherwise.</summary>
    public const string Password = "correct horse battery staple";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly TestIngress? _ingress;

    /// <param name="connectionString">The test database.</param>
    /// <param name="adminPassword"><c>Stats:AdminPassword</c>; null leaves it unset (admin pages for loopback only).</param>
    /// <param name="settings">More settings, overriding the defaults here.</param>
    /// <param name="services">Replacements of the site's services (a fake clock, say), applied last.</param>
    /// <param name="ingress">The ingress proxy's CA and certificates: the site then also listens on <see cref="IngressAddress"/>.</param>
    public BallWebApp(
        string connectionString, string? adminPassword = Password, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null, TestIngress? ingress = null)
    {
        _services = services;
        _ingress = ingress;
        Port = PostgresServer.FreePort();
        IngressPort = ingress is null ? 0 : PostgresServer.FreePort();
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["Orleans:ClusterId"] = $"web-{Port}",
            ["Orleans:ServiceId"] = TestClusters.ServiceId,
            ["Orleans:SiloPort"] = PostgresServer.FreePort().ToString(),
            ["Orleans:GatewayPort"] = PostgresServer.FreePort().ToString(),
            // The stats reach the page quickly, and every request sees the latest totals.
            ["Stats:RefreshMilliseconds"] = "100",
            ["Stats:SnapshotCacheMilliseconds"] = "0",
            ["Stats:RangeCacheMilliseconds"] = "0",
            ["Stats:AdminPassword"] = adminPassword,
            // Tests send one cookie far faster than a person (a thousand visits at once in
            // BallPageTests); the per-cookie limit has tests of its own, which turn it back on.
            ["Visits:PerCookiePerMinute"] = "0",
        };
        foreach (var (key, value) in ingress?.SiteSettings(Port, IngressPort) ?? [])
        {
            _settings[key] = value;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        if (ingress is null)
        {
            UseKestrel(Port);
        }
        else
        {
            // Both addresses come from the urls setting, as in a deployment; a port given here
            // would replace them with one.
            UseKestrel();
        }
    }

    public int Port { get; }

    /// <summary>The HTTPS port of the ingress proxy, when the site has a <see cref="TestIngress"/>.</summary>
    public int IngressPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public Uri IngressAddress => new($"https://127.0.0.1:{IngressPort}/");

    /// <summary>
    /// A cookieless client that connects to the HTTPS port with the ingress proxy's certificate:
    /// what it says in X-Forwarded-For is believed, as the proxy's would be.
    /// </summary>
    public HttpClient ProvenProxyClient(AuthenticationHeaderValue? authorization = null)
    {
        StartServer();
        var ingress = _ingress ?? throw new InvalidOperationException("this site was started without a TestIngress");
        var client = new HttpClient(ingress.Handler(IPAddress.Loopback)) { BaseAddress = IngressAddress };
        client.DefaultRequestHeaders.Authorization = authorization;
        return client;
    }

    /// <summary>Starts the server (idempotent) and returns a client that sends only the cookies a test gives it.</summary>
    public HttpClient CreateCookielessClient() => ClientFrom(IPAddress.Loopback);

    /// <summary>A client (cookies kept) that sends the admin credential.</summary>
    public HttpClient AdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("admin", Password);
        return client;
    }

    /// <summary>
    /// A cookieless client whose connections leave from <paramref name="source"/>, a loopback
    /// address such as 127.0.0.2: the site sees it as that client's address.
    /// </summary>
    public HttpClient ClientFrom(IPAddress source, AuthenticationHeaderValue? authorization = null)
    {
        StartServer();
        var client = new HttpClient(HandlerFrom(source)) { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = authorization;
        return client;
    }

    /// <summary>A handler without cookies or redirects whose connections leave from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler HandlerFrom(IPAddress source) =>
        new()
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>The plain HTTP address, also when the site listens on HTTPS too (the factory would take the last one).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.BaseAddress = BaseAddress;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }
}
