using System.Diagnostics;
using BallOrleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BallOrleans.Tests.Cluster;

/// <summary>
/// Mutual TLS of the cluster transport, against real processes: an extra process in a network
/// namespace of its own, which reaches every silo and the database, may neither call a grain nor
/// join as a silo without a certificate of the cluster's CA. The web tier, and the same check run
/// with the cluster's client certificate, are the controls: what fails, fails for the certificate.
/// </summary>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class ClusterTransportTests(TransportCluster transport, ITestOutputHelper log) : IClassFixture<TransportCluster>
{
    private const int Active = 3;

    private static readonly Dictionary<string, string?> Plaintext = new() { ["Orleans__Tls__Insecure"] = "true" };

    [SkippableFact]
    public async Task The_web_tier_and_a_client_with_the_clusters_certificate_call_grains()
    {
        Skip.If(TransportCluster.Unavailable is not null, TransportCluster.Unavailable);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var page = await http.GetAsync(transport.Cluster.Site);
        Assert.True(page.IsSuccessStatusCode, $"the site answered {(int)page.StatusCode}");

        var certificate = await LocalCluster.CertificateAsync(transport.Cluster.RunDirectory, "client", "operator");
        var (exitCode, output) = await ClusterCheckAsync(certificate);
        Assert.True(exitCode == 0, $"cluster-check with the cluster's certificate failed ({exitCode}): {output}");
        Assert.Contains("2 active silo(s)", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Each_silo_and_the_web_tier_serve_their_metrics_on_the_metrics_port_alone()
    {
        Skip.If(TransportCluster.Unavailable is not null, TransportCluster.Unavailable);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var (host, silo) in new[] { (transport.Network.Silo(1), true), (transport.Network.Silo(2), true), (transport.Network.Web, false) })
        {
            // A silo always has Orleans' catalog gauges; the web tier, whatever it has measured yet.
            var metrics = await http.GetStringAsync($"http://{host}:{TransportCluster.MetricsPort}/metrics");
            Assert.Contains(silo ? "orleans_" : "# TYPE ", metrics, StringComparison.Ordinal);
            var other = await http.GetAsync($"http://{host}:{TransportCluster.MetricsPort}/");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, other.StatusCode);
        }
    }

    [SkippableFact]
    public async Task A_client_without_a_certificate_cannot_call_a_grain()
    {
        Skip.If(TransportCluster.Unavailable is not null, TransportCluster.Unavailable);
        var (exitCode, output) = await ClusterCheckAsync(Plaintext);
        Assert.True(exitCode == 1, $"a plain-text client was answered ({exitCode}): {output}");
        Assert.Contains("did not answer", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_client_with_a_certificate_from_another_CA_cannot_call_a_grain()
    {
        Skip.If(TransportCluster.Unavailable is not null, TransportCluster.Unavailable);
        var (exitCode, output) = await ClusterCheckAsync(transport.OtherCa("client", "intruder-client"));
        Assert.True(exitCode == 1, $"a client of another CA was answered ({exitCode}): {output}");
        Assert.Contains("did not answer", output, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("the cluster's", true)]
    [InlineData("none", false)]
    [InlineData("another CA", false)]
    public async Task Only_a_silo_with_the_clusters_certificate_can_join(string certificate, bool joins)
    {
        Skip.If(TransportCluster.Unavailable is not null, TransportCluster.Unavailable);
        var siloPort = transport.Cluster.SiloPort(1) + 10 + Array.IndexOf(["the cluster's", "none", "another CA"], certificate);
        var settings = certificate switch
        {
            "none" => new Dictionary<string, string?>(Plaintext),
            "another CA" => transport.OtherCa("silo", "intruder-silo"),
            _ => await LocalCluster.CertificateAsync(transport.Cluster.RunDirectory, "silo", "guest-silo"),
        };
        settings["Orleans__SiloPort"] = siloPort.ToString();
        settings["Orleans__GatewayPort"] = (siloPort + 100).ToString();
        settings["Orleans__AdvertisedAddress"] = transport.Network.Guest.ToString();

        using var silo = transport.Cluster.StartGuest(settings, "dotnet", LocalCluster.Program("Silo"));
        var output = new List<string>();
        silo.OutputDataReceived += (_, line) => { lock (output) { output.Add(line.Data ?? ""); } };
        silo.ErrorDataReceived += (_, line) => { lock (output) { output.Add(line.Data ?? ""); } };
        silo.BeginOutputReadLine();
        silo.BeginErrorReadLine();
        try
        {
            // Every silo reaches the database (it writes its row). One that cannot reach the other
            // silos stays Joining while it retries; watched for 15 s from its first row, long
            // after the control (the same silo with the cluster's certificate) is Active.
            var watching = Stopwatch.StartNew();
            TimeSpan? appeared = null;
            int? status = null;
            while (watching.Elapsed < (appeared ?? TimeSpan.FromSeconds(30)) + TimeSpan.FromSeconds(15) && !silo.HasExited && status != Active)
            {
                status = await ClusterProbe.SiloStatusAsync(transport.Database, siloPort);
                appeared ??= status is null ? null : watching.Elapsed;
                await Task.Delay(250);
            }

            log.WriteLine($"certificate '{certificate}': status {status} after {watching.Elapsed.TotalSeconds:F1} s, exited: {silo.HasExited}\n{Tail(output)}");
            Assert.True(appeared is not null, $"the guest silo never reached the membership table, so nothing was tried:\n{Tail(output)}");
            Assert.True(joins == (status == Active), $"a silo with certificate '{certificate}' ended in status {status}, joins: {joins}\n{Tail(output)}");
        }
        finally
        {
            await StopAsync(silo);
        }

        Assert.Equal(Active, await ClusterProbe.SiloStatusAsync(transport.Database, transport.Cluster.SiloPort(1)));
    }

    /// <summary>
    /// SIGTERM first: a silo that joined leaves the cluster then, instead of staying in the
    /// membership as a dead silo that grain calls of the next test would meet.
    /// </summary>
    private static async Task StopAsync(Process silo)
    {
        if (!silo.HasExited)
        {
            using var term = Process.Start("kill", ["-15", silo.Id.ToString()]);
            await term.WaitForExitAsync();
        }

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await silo.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            silo.Kill(entireProcessTree: true);
            await silo.WaitForExitAsync();
        }
    }

    private Task<(int ExitCode, string Output)> ClusterCheckAsync(IReadOnlyDictionary<string, string?> settings) =>
        transport.Cluster.GuestAsync(settings, "dotnet", LocalCluster.Program("Web"), "cluster-check");

    private static string Tail(List<string> output)
    {
        lock (output)
        {
            return string.Join('\n', output.TakeLast(20));
        }
    }
}
