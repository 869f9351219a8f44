using Microsoft.Extensions.Configuration;
using Orleans;
using Orleans.Configuration;

namespace BallOrleans.Grains.Hosting;

/// <summary>
/// Mutual TLS on every cluster connection (Microsoft.Orleans.Connections.Security): silo to silo,
/// and client to gateway, a co-host's loopback port included. Required unless
/// <c>Orleans:Tls:Insecure</c> says otherwise.
/// </summary>
public static class ClusterTransport
{
    /// <summary>
    /// A silo's three kinds of connection: its silo port takes silos only, its gateway any member
    /// (the web tier's client certificate), and it calls other silos as a silo.
    /// </summary>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, IConfiguration configuration, bool cohost = false)
    {
        var options = BallOptions.Get<ClusterTlsOptions>(configuration, ClusterTlsOptions.Section);
        if (options.Insecure)
        {
            return silo;
        }

        // A co-host given no certificate files gets a CA of its own, in memory (see Ephemeral).
        var certificates = cohost && string.IsNullOrWhiteSpace(options.CertificatePath)
            ? ClusterCertificates.Ephemeral()
            : ClusterCertificates.Load(options, ClusterCertificates.Role.Silo);
        return silo.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(c => c.UseServerTls(certificates.Expecting(ClusterCertificates.Role.Silo)));
            o.ConfigureGatewayInboundConnection(c => c.UseServerTls(certificates.Expecting(ClusterCertificates.Role.Member)));
            o.ConfigureSiloOutboundConnection(c => c.UseClientTls(certificates.Expecting(ClusterCertificates.Role.Silo)));
        });
    }

    /// <summary>A client (the web tier in client mode): it talks to gateways, which are silos.</summary>
    public static IClientBuilder UseClusterTls(this IClientBuilder client, IConfiguration configuration)
    {
        var options = BallOptions.Get<ClusterTlsOptions>(configuration, ClusterTlsOptions.Section);
        if (options.Insecure)
        {
            return client;
        }

        var certificates = ClusterCertificates.Load(options, ClusterCertificates.Role.Member);
        return client.Configure<ClientConnectionOptions>(o =>
            o.ConfigureConnection(c => c.UseClientTls(certificates.Expecting(ClusterCertificates.Role.Silo))));
    }

    /// <summary>One line for the start-up summary.</summary>
    public static string Describe(ClusterTlsOptions options) =>
        options.Insecure
            ? "Cluster transport in PLAIN TEXT, unauthenticated (Orleans:Tls:Insecure=true): anyone who reaches a silo or gateway port can call every grain"
            : "Cluster transport: mutual TLS; peers must chain to the CA in Orleans:Tls:CaPath";
}
