using System.Net;
using System.Security.Cryptography.X509Certificates;
using BallOrleans.Tests.Web;

namespace BallOrleans.Tests.Infrastructure;

/// <summary>
/// What the Kubernetes manifests give the web tier and its ingress, made for one test: a CA of
/// their own, the site's HTTPS certificate and the proxy's client certificate from it, and the
/// files the site reads (<c>Ingress:ClientCaPath</c>, <c>Kestrel:Certificates:Default</c>).
/// </summary>
public sealed class TestIngress : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("ball-ingress-");
    private readonly TestCertificateAuthority _ca = new("ball test ingress CA");

    public TestIngress()
    {
        ProxyCertificate = _ca.Issue("ingress proxy", TestCertificateAuthority.ClientAuth);
        using var server = _ca.Issue("ball-web", TestCertificateAuthority.ServerAuth);
        using var key = server.GetECDsaPrivateKey()!;
        ServerCertificatePath = Write("tls.crt", server.ExportCertificatePem());
        ServerKeyPath = Write("tls.key", key.ExportPkcs8PrivateKeyPem());
        CaPath = _ca.WriteCertificate(_folder, "ca.crt");
    }

    public X509Certificate2 ProxyCertificate { get; }

    public string CaPath { get; }

    public string ServerCertificatePath { get; }

    public string ServerKeyPath { get; }

    /// <summary>The site's settings: plain HTTP on <paramref name="httpPort"/>, the proxy's HTTPS on <paramref name="httpsPort"/>.</summary>
    public Dictionary<string, string?> SiteSettings(int httpPort, int httpsPort) => new()
    {
        ["urls"] = $"http://127.0.0.1:{httpPort};https://127.0.0.1:{httpsPort}",
        ["Kestrel:Certificates:Default:Path"] = ServerCertificatePath,
        ["Kestrel:Certificates:Default:KeyPath"] = ServerKeyPath,
        ["Ingress:ClientCaPath"] = CaPath,
    };

    /// <summary>
    /// A handler that connects from <paramref name="source"/> presenting <paramref name="certificate"/>
    /// (the proxy's by default), and trusts the site's certificate only if this CA issued it.
    /// </summary>
    public SocketsHttpHandler Handler(IPAddress source, X509Certificate2? certificate = null)
    {
        var handler = BallWebApp.HandlerFrom(source);
        Present(handler, certificate ?? ProxyCertificate);
        return handler;
    }

    /// <summary>Makes <paramref name="handler"/> present <paramref name="certificate"/> and check the site's against this CA.</summary>
    public void Present(SocketsHttpHandler handler, X509Certificate2? certificate)
    {
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
        }

        handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, _) =>
            server is not null && _ca.Issued(X509CertificateLoader.LoadCertificate(server.GetRawCertData()));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        ProxyCertificate.Dispose();
        _ca.Dispose();
        _folder.Delete(recursive: true);
    }
}
