using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BallOrleans.Grains.Hosting;
using BallOrleans.Tests.Deploy;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Operations;

/// <summary>
/// Which peer certificates the cluster transport accepts: chained to the configured CA, in their
/// validity period, with their role's usages. Certificates made here with .NET's own
/// <see cref="CertificateRequest"/>; the transport itself is tested with processes in
/// <c>Cluster/ClusterTransportTests</c>.
/// </summary>
public sealed class ClusterCertificateTests : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("ball-certs-");
    private readonly (X509Certificate2 Certificate, ECDsa Key) _ca = Authority("cluster CA");
    private readonly (X509Certificate2 Certificate, ECDsa Key) _otherCa = Authority("another CA");

    [Fact]
    public void Cluster_mode_without_certificates_refuses_to_start_and_names_the_settings()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => ClusterCertificates.Load(new ClusterTlsOptions(), ClusterCertificates.Role.Silo));
        Assert.Contains("Orleans:Tls:CertificatePath", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Orleans:Tls:Insecure", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_example_secrets_values_are_refused()
    {
        var values = Manifests.Example("Secret", "ball-silo-tls").Get("stringData").Strings();
        var options = new ClusterTlsOptions
        {
            CertificatePath = Write("tls.crt", values["tls.crt"]),
            KeyPath = Write("tls.key", values["tls.key"]),
            CaPath = Write("ca.crt", values["ca.crt"]),
        };
        Assert.Throws<OptionsValidationException>(() => ClusterCertificates.Load(options, ClusterCertificates.Role.Silo));
    }

    [Fact]
    public void A_silo_accepts_silos_on_its_silo_port_and_clients_only_at_its_gateway()
    {
        var certificates = Load(Issue(_ca, "silo-1", ServerAuth, ClientAuth), ClusterCertificates.Role.Silo);
        var silo = Issue(_ca, "silo-2", ServerAuth, ClientAuth);
        var client = Issue(_ca, "web", ClientAuth);

        Assert.True(certificates.Accepts(silo, ClusterCertificates.Role.Silo, out _));
        Assert.True(certificates.Accepts(silo, ClusterCertificates.Role.Member, out _));
        Assert.True(certificates.Accepts(client, ClusterCertificates.Role.Member, out _));
        Assert.False(certificates.Accepts(client, ClusterCertificates.Role.Silo, out var why));
        Assert.Contains("serverAuth", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_CA_an_expired_certificate_and_one_without_usages_are_refused()
    {
        var certificates = Load(Issue(_ca, "silo-1", ServerAuth, ClientAuth), ClusterCertificates.Role.Silo);

        Assert.False(certificates.Accepts(Issue(_otherCa, "intruder", ServerAuth, ClientAuth), ClusterCertificates.Role.Member, out var why));
        Assert.Contains("does not chain", why, StringComparison.Ordinal);
        Assert.False(certificates.Accepts(Issue(_ca, "old", DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1), ServerAuth, ClientAuth), ClusterCertificates.Role.Member, out _));
        Assert.False(certificates.Accepts(Issue(_ca, "no-usages"), ClusterCertificates.Role.Member, out _));
    }

    [Fact]
    public void While_the_CA_is_rolled_certificates_of_the_old_and_the_new_CA_are_accepted()
    {
        var both = Write("both.pem", _ca.Certificate.ExportCertificatePem() + "\n" + _otherCa.Certificate.ExportCertificatePem());
        var local = Issue(_ca, "silo-1", ServerAuth, ClientAuth);
        var certificates = ClusterCertificates.Load(
            new ClusterTlsOptions { CertificatePath = WritePem("local", local), CaPath = both }, ClusterCertificates.Role.Silo);

        Assert.True(certificates.Accepts(Issue(_ca, "old-ca-silo", ServerAuth, ClientAuth), ClusterCertificates.Role.Silo, out _));
        Assert.True(certificates.Accepts(Issue(_otherCa, "new-ca-silo", ServerAuth, ClientAuth), ClusterCertificates.Role.Silo, out _));
    }

    [Fact]
    public void A_certificate_of_another_CA_than_the_configured_one_refuses_to_start()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Load(Issue(_otherCa, "silo-1", ServerAuth, ClientAuth), ClusterCertificates.Role.Silo));
        Assert.Contains("is not a silo certificate of this cluster", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Delete(recursive: true);

    private ClusterCertificates Load(X509Certificate2 local, ClusterCertificates.Role role) =>
        ClusterCertificates.Load(new ClusterTlsOptions { CertificatePath = WritePem("local", local), CaPath = Write("ca.pem", _ca.Certificate.ExportCertificatePem()) }, role);

    private string WritePem(string name, X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        return Write($"{name}.pem", certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (X509Certificate2, ECDsa) Authority(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(30)), key);
    }

    private static X509Certificate2 Issue((X509Certificate2 Certificate, ECDsa Key) ca, string name, params Oid[] usages) =>
        Issue(ca, name, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), usages);

    private static X509Certificate2 Issue((X509Certificate2 Certificate, ECDsa Key) ca, string name, DateTimeOffset from, DateTimeOffset until, params Oid[] usages)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        if (usages.Length > 0)
        {
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages], false));
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        using var issued = request.Create(ca.Certificate, from, until, serial);
        return issued.CopyWithPrivateKey(key);
    }
}
