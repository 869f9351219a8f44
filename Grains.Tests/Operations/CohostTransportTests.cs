using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BallOrleans.Grains.Hosting;
using BallOrleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Operations;

/// <summary>
/// The co-hosted silo (<c>./ball run</c>) lets no other process of the machine in: it opens no
/// gateway, and its one port, on loopback only, speaks mutual TLS with a CA nobody else holds.
/// </summary>
public sealed class CohostTransportTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_cohosted_silo_opens_no_gateway_and_listens_on_loopback_only()
    {
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("cohost_transport"));
        using var http = site.CreateCookielessClient();
        // A visit goes through the silo: by then its port is open.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        var cluster = site.Services.GetRequiredService<IOptions<BallClusterOptions>>().Value;

        Assert.Empty(ListeningSockets.On(cluster.GatewayPort));
        var addresses = ListeningSockets.On(cluster.SiloPort);
        Assert.NotEmpty(addresses);
        Assert.All(addresses, address => Assert.Equal(IPAddress.Loopback, address));
    }

    [Fact]
    public async Task A_local_process_without_a_certificate_of_the_silos_own_ca_is_refused_on_its_port()
    {
        await using var site = new BallWebApp(await postgres.CreateDatabaseAsync("cohost_tls"));
        using var http = site.CreateCookielessClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
        var cluster = site.Services.GetRequiredService<IOptions<BallClusterOptions>>().Value;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, cluster.SiloPort);
        await using var tls = new SslStream(tcp.GetStream());
        var refused = await Record.ExceptionAsync(async () =>
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "silo",
                RemoteCertificateValidationCallback = (_, _, _, _) => true, // whatever the silo shows: we want in
            }).WaitAsync(TimeSpan.FromSeconds(10));
            // TLS 1.3 asks for the client's certificate after the handshake: without one the
            // silo ends the connection at the first read.
            var read = await tls.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (read == 0)
            {
                throw new IOException("the silo closed the connection");
            }
        });

        // It spoke TLS (a plain-text port fails the handshake before showing any certificate)...
        Assert.NotNull(tls.RemoteCertificate);
        // ...and let a client without a certificate of its CA no further.
        Assert.NotNull(refused);
    }
}
