using System.Net;
using BallOrleans.Grains.Hosting;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Operations;

/// <summary>The co-hosted silo's transport has no authentication: only this machine may reach it.</summary>
public sealed class CohostTransportTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_cohosted_silo_and_gateway_ports_listen_on_loopback_only()
    {
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("cohost_transport"));
        using var http = site.CreateCookielessClient();
        // A visit goes through the silo: by then both ports are open.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        var cluster = site.Services.GetRequiredService<IOptions<BallClusterOptions>>().Value;

        foreach (var port in new[] { cluster.SiloPort, cluster.GatewayPort })
        {
            var addresses = ListeningSockets.On(port);
            Assert.NotEmpty(addresses);
            Assert.All(addresses, address => Assert.Equal(IPAddress.Loopback, address));
        }
    }
}
