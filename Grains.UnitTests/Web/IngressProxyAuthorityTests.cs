using BallOrleans.Tests.Deploy;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Tests.Web;

/// <summary>
/// Which client certificates prove a peer to be the ingress proxy: issued by the configured CA
/// (no other), in their validity period, for client authentication. What the site then does
/// with a proven proxy's headers is tested with a real proxy in <c>Grains.Tests/Admin/IngressProxyTests</c>.
/// </summary>
public sealed class IngressProxyAuthorityTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("ball-ingress-ca-");
    private readonly TestCertificateAuthority _ca = new("ingress CA");
    private readonly TestCertificateAuthority _otherCa = new("another CA");

    private IngressProxyAuthority Authority() => IngressProxyAuthority.Load(_ca.WriteCertificate(_folder, "ca.crt"));

    [Fact]
    public void The_proxys_client_certificate_is_accepted()
    {
        using var proxy = _ca.Issue("ingress proxy", TestCertificateAuthority.ClientAuth);
        Assert.True(Authority().Accepts(proxy));
    }

    [Fact]
    public void A_client_certificate_of_another_ca_is_refused()
    {
        using var stranger = _otherCa.Issue("ingress proxy", TestCertificateAuthority.ClientAuth);
        Assert.False(Authority().Accepts(stranger));
    }

    [Fact]
    public void A_server_certificate_of_the_same_ca_cannot_pose_as_the_proxy()
    {
        // The web pods' own certificate comes from this CA too; a pod's key must not prove the proxy.
        using var server = _ca.Issue("ball-web", TestCertificateAuthority.ServerAuth);
        using var noUsage = _ca.Issue("ball-web");
        Assert.False(Authority().Accepts(server));
        Assert.False(Authority().Accepts(noUsage));
    }

    [Fact]
    public void An_expired_proxy_certificate_is_refused()
    {
        using var expired = _ca.Issue("ingress proxy", DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1), TestCertificateAuthority.ClientAuth);
        Assert.False(Authority().Accepts(expired));
    }

    [Fact]
    public void A_file_without_a_certificate_is_refused_with_the_setting_named()
    {
        var placeholder = Manifests.Example("Secret", "ball-web-ingress-tls").Get("stringData").Strings()["ca.crt"];
        var path = Path.Combine(_folder.FullName, "placeholder.crt");
        File.WriteAllText(path, placeholder);

        Assert.False(IngressProxyAuthority.TryLoad(path, out _, out var why));
        Assert.Contains("Ingress:ClientCaPath", why, StringComparison.Ordinal);
        Assert.False(IngressProxyAuthority.TryLoad(Path.Combine(_folder.FullName, "missing.crt"), out _, out why));
        Assert.Contains("Ingress:ClientCaPath", why, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        _folder.Delete(recursive: true);
    }
}
