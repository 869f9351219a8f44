namespace BallOrleans.Grains.Hosting;

/// <summary>
/// Mutual TLS of the cluster transport (section <c>Orleans:Tls</c>): standalone silos and a web
/// tier in client mode. A co-hosted silo listens on loopback only and ignores these settings.
/// </summary>
public sealed class ClusterTlsOptions
{
    public const string Section = "Orleans:Tls";

    /// <summary>This process's certificate: a PEM file (key in <see cref="KeyPath"/> or in the same file) or a PKCS#12 file (.pfx, .p12).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/>; empty when the certificate file holds it.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The password of a PKCS#12 file, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// PEM file of the cluster CA certificates a peer must chain to: one, or the old and the new
    /// one while the CA is rolled. The operating system's trusted roots are not consulted.
    /// </summary>
    public string? CaPath { get; set; }

    /// <summary>
    /// Run the cluster transport in plain text, unauthenticated: anyone who reaches a silo or
    /// gateway port can call every grain. For a throwaway experiment only; never in production.
    /// </summary>
    public bool Insecure { get; set; }
}
