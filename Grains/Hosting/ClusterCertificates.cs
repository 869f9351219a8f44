using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Orleans.Connections.Security;

namespace BallOrleans.Grains.Hosting;

/// <summary>
/// This process's cluster certificate and the cluster CA, loaded once at start from the files
/// <see cref="ClusterTlsOptions"/> names, and the peer checks of the mutual TLS built on them.
/// </summary>
/// <remarks>
/// A peer is accepted when its certificate chains to a CA in <c>Orleans:Tls:CaPath</c> (and only
/// those: the machine's trusted roots would accept any public certificate) and carries the usages
/// of its role. Host names are not checked: silos are reached at pod IPs that change with every
/// reschedule, every pod of a Deployment mounts the same certificate, and which silo lives at
/// which address is what the membership table says. What a name would prove, the role does:
/// a silo's certificate carries both TLS usages, a client's (the web tier) client
/// authentication only, so a web pod's key cannot serve a silo port or join as a silo.
/// </remarks>
public sealed class ClusterCertificates
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2Collection _authorities;

    private ClusterCertificates(X509Certificate2 local, X509Certificate2Collection authorities)
    {
        Local = local;
        _authorities = authorities;
    }

    /// <summary>Who is at the other end of a connection, by the usages its certificate carries.</summary>
    public enum Role
    {
        /// <summary>A silo: server and client authentication.</summary>
        Silo,

        /// <summary>Any member, a client included: client authentication.</summary>
        Member,
    }

    public X509Certificate2 Local { get; }

    /// <summary>
    /// Loads and checks the files, as a process of <paramref name="role"/> uses them: the
    /// certificate has its private key, chains to the CA and carries the role's usages.
    /// Any problem is a configuration error naming the setting.
    /// </summary>
    public static ClusterCertificates Load(ClusterTlsOptions options, Role role)
    {
        if (string.IsNullOrWhiteSpace(options.CertificatePath) || string.IsNullOrWhiteSpace(options.CaPath))
        {
            throw Invalid("the cluster transport needs mutual TLS: set Orleans:Tls:CertificatePath and Orleans:Tls:CaPath "
                + "(deploy/local/cluster.sh makes them), or Orleans:Tls:Insecure=true for a plain-text experiment");
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(options.CaPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw Invalid($"Orleans:Tls:CaPath '{options.CaPath}' cannot be read as PEM: {ex.Message}");
        }

        if (authorities.Count == 0)
        {
            throw Invalid($"Orleans:Tls:CaPath '{options.CaPath}' holds no PEM certificate");
        }

        var local = LoadLocal(options);
        var certificates = new ClusterCertificates(local, authorities);
        if (!certificates.Accepts(local, role, out var why))
        {
            throw Invalid($"Orleans:Tls:CertificatePath '{options.CertificatePath}' is not a {role.ToString().ToLowerInvariant()} certificate of this cluster: {why}");
        }

        return certificates;
    }

    /// <summary>TLS settings of a connection whose other end must be a <paramref name="peer"/> of this cluster.</summary>
    public TlsOptions Expecting(Role peer) => new()
    {
        LocalCertificate = Local,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        // The handshake builds the peer's chain once, against the cluster CA alone...
        OnAuthenticateAsServer = (_, o) => ((SslServerAuthenticationOptions)o.SslServerAuthenticationOptions).CertificateChainPolicy = ChainPolicy(),
        OnAuthenticateAsClient = (_, o) => ((SslClientAuthenticationOptions)o.SslClientAuthenticationOptions).CertificateChainPolicy = ChainPolicy(),
        // ...and its verdict counts except for the host name (see the remarks); then the role.
        RemoteCertificateValidation = (certificate, chain, errors) =>
            (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None && HasUsages(certificate, peer, out _),
    };

    /// <summary>Whether <paramref name="certificate"/> chains to the cluster CA, is in its validity period and carries <paramref name="role"/>'s usages.</summary>
    public bool Accepts(X509Certificate2 certificate, Role role, out string why)
    {
        if (!HasUsages(certificate, role, out why))
        {
            return false;
        }

        using var chain = new X509Chain { ChainPolicy = ChainPolicy() };
        if (!chain.Build(certificate))
        {
            why = "it does not chain to a CA in Orleans:Tls:CaPath (" + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())) + ")";
            return false;
        }

        return true;
    }

    private static bool HasUsages(X509Certificate2 certificate, Role role, out string why)
    {
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault()?.EnhancedKeyUsages;
        // A certificate without the extension would be valid for every usage: roles need it said.
        if (usages is null || !Has(usages, ClientAuthentication) || (role == Role.Silo && !Has(usages, ServerAuthentication)))
        {
            why = role == Role.Silo
                ? "it must carry the extended key usages serverAuth and clientAuth"
                : "it must carry the extended key usage clientAuth";
            return false;
        }

        why = "";
        return true;
    }

    /// <summary>Trust the cluster CA and nothing else.</summary>
    private X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            // A private CA publishes no revocation lists: certificates are short-lived and rotated instead.
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(_authorities);
        return policy;
    }

    private static bool Has(OidCollection usages, Oid usage) => usages.Cast<Oid>().Any(u => u.Value == usage.Value);

    private static X509Certificate2 LoadLocal(ClusterTlsOptions options)
    {
        var path = options.CertificatePath!;
        try
        {
            var certificate = Path.GetExtension(path).ToLowerInvariant() is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword)
                : X509Certificate2.CreateFromPemFile(path, string.IsNullOrWhiteSpace(options.KeyPath) ? null : options.KeyPath);
            return certificate.HasPrivateKey
                ? certificate
                : throw Invalid($"Orleans:Tls:CertificatePath '{path}' has no private key (Orleans:Tls:KeyPath)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw Invalid($"Orleans:Tls:CertificatePath '{path}' (key '{options.KeyPath}') cannot be loaded: {ex.Message}");
        }
    }

    /// <summary>
    /// A CA and a silo certificate made in memory for this process alone, the CA's key dropped once
    /// it has signed: the co-hosted silo's transport. Nothing else can hold a certificate of this
    /// CA, so no other process (another user of the machine, a container on the host's network)
    /// completes a handshake with it, and there is no key file to guard, rotate or leak. A co-host
    /// has no silo peers to share a CA with; a real cluster uses files (<see cref="Load"/>).
    /// </summary>
    public static ClusterCertificates Ephemeral()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=ball co-host CA (in memory)", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var caWithKey = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        var ca = X509CertificateLoader.LoadCertificate(caWithKey.RawData); // the public part only

        using var siloKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var siloRequest = new CertificateRequest("CN=ball co-hosted silo", siloKey, HashAlgorithmName.SHA256);
        siloRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        siloRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication, ClientAuthentication], false));
        using var signed = siloRequest.Create(caWithKey, now.AddMinutes(-5), now.AddYears(10), RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(siloKey);
        // Through PKCS#12 so that the key outlives this method's ECDsa object (and SslStream on
        // Linux takes it as it takes any loaded certificate).
        var local = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new ClusterCertificates(local, [ca]);
    }

    private static OptionsValidationException Invalid(string failure) =>
        new(ClusterTlsOptions.Section, typeof(ClusterTlsOptions), [failure]);
}
