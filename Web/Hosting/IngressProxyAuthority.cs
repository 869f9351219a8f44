using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BallOrleans.Web.Hosting;

/// <summary>
/// The CA of the ingress proxy's client certificate (<see cref="IngressOptions.ClientCaPath"/>),
/// and the check Kestrel runs on the certificate a peer presents in the TLS handshake.
/// </summary>
public sealed class IngressProxyAuthority
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2Collection _authorities;

    private IngressProxyAuthority(X509Certificate2Collection authorities) => _authorities = authorities;

    /// <summary>Reads the CA certificates of <paramref name="path"/>; false, with the reason, when it holds none.</summary>
    public static bool TryLoad(string path, out IngressProxyAuthority? authority, out string why)
    {
        authority = null;
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            why = $"Ingress:ClientCaPath '{path}' cannot be read: {ex.Message}";
            return false;
        }

        if (authorities.Count == 0)
        {
            why = $"Ingress:ClientCaPath '{path}' holds no PEM certificate";
            return false;
        }

        authority = new IngressProxyAuthority(authorities);
        why = "";
        return true;
    }

    public static IngressProxyAuthority Load(string path) =>
        TryLoad(path, out var authority, out var why) ? authority! : throw new InvalidOperationException(why);

    /// <summary>
    /// Whether <paramref name="certificate"/> is the proxy's: it chains to this CA and no other
    /// (the machine's roots would accept any public certificate), is within its validity period,
    /// and says it is for client authentication, so that a web pod's own server certificate from
    /// the same CA cannot pose as the proxy.
    /// </summary>
    public bool Accepts(X509Certificate2 certificate)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault()?.EnhancedKeyUsages;
        if (usages is null || !usages.Cast<Oid>().Any(u => u.Value == ClientAuthentication.Value))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        // A private CA publishes no revocation lists: its certificates are short-lived and rotated instead.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
