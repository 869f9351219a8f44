using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BallOrleans.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BallOrleans.Tests.Stats;

/// <summary>The whole web program, co-hosting its silo on a test database, with its own cluster id and ports.</summary>
internal sealed class StatsWebApp(string database, string? password, IPAddress? remoteAddress = null) : WebApplicationFactory<Program>
{
    public const string Password = "correct horse battery staple";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", database);
        builder.UseSetting("Orleans:ClusterId", $"stats-test-{Guid.NewGuid():N}");
        builder.UseSetting("Orleans:SiloPort", PostgresServer.FreePort().ToString());
        builder.UseSetting("Orleans:GatewayPort", PostgresServer.FreePort().ToString());
        builder.UseSetting("Stats:RefreshMilliseconds", "100");
        builder.UseSetting("Stats:SnapshotCacheMilliseconds", "0");
        if (password is not null)
        {
            builder.UseSetting("Stats:AdminPassword", password);
        }

        // The test server has no socket, hence no client address: give it the one a test needs.
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new RemoteAddressFilter(remoteAddress ?? IPAddress.Loopback)));
    }

    public HttpClient AdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = Basic("admin", Password);
        return client;
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private sealed class RemoteAddressFilter(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
