using System.Security.Cryptography.X509Certificates;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Deploy;

/// <summary>
/// Where <c>cluster.sh</c> keeps its throwaway CA's key: not in the folder whose files the silos
/// and the web tier are pointed at, and readable by its owner only. Runs openssl through
/// <c>cluster.sh cert</c>, no cluster.
/// </summary>
public sealed class LocalClusterCaTests : IDisposable
{
    private readonly string _runDirectory = Directory.CreateTempSubdirectory("ball-ca-").FullName;

    private string Tls => Path.Combine(_runDirectory, "tls");

    private string CaKey => Path.Combine(_runDirectory, "ca", "ca.key");

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // cluster.sh, like the project, runs on Linux
    public async Task The_ca_key_is_kept_apart_from_the_files_processes_read_and_private_to_its_owner()
    {
        var settings = await LocalCluster.CertificateAsync(_runDirectory, "client", "probe");

        // Every file a process is given lies in tls/, and the CA's key is not there.
        Assert.All(settings.Values, path => Assert.Equal(Tls, Path.GetDirectoryName(path)));
        Assert.False(File.Exists(Path.Combine(Tls, "ca.key")), "the CA key lies beside the certificates the processes read");
        Assert.True(File.Exists(CaKey));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CaKey));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(CaKey)!));

        // Kept, so a silo added later still gets a certificate of the same CA.
        var later = await LocalCluster.CertificateAsync(_runDirectory, "silo", "added-later");
        AssertIssuedByTheCa(later["Orleans__Tls__CertificatePath"]!);
    }

    [Fact]
    public async Task A_run_folder_with_the_key_beside_the_certificates_gets_it_moved()
    {
        await LocalCluster.CertificateAsync(_runDirectory, "client", "first");
        File.Move(CaKey, Path.Combine(Tls, "ca.key")); // where earlier versions kept it

        var next = await LocalCluster.CertificateAsync(_runDirectory, "client", "next");

        Assert.False(File.Exists(Path.Combine(Tls, "ca.key")));
        Assert.True(File.Exists(CaKey));
        AssertIssuedByTheCa(next["Orleans__Tls__CertificatePath"]!);
    }

    public void Dispose() => Directory.Delete(_runDirectory, recursive: true);

    private void AssertIssuedByTheCa(string certificatePath)
    {
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Tls, "ca.pem"));
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(certificatePath);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }
}
