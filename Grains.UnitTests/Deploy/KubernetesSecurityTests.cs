using System.Net;
using BallOrleans.Grains.Hosting;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Tests.Deploy;

/// <summary>
/// What the manifests do against a neighbour in the cluster: containers that cannot gain
/// privileges or change their image, no API token where none is needed, network policies in front
/// of the unauthenticated ports, and forwarded headers believed from the ingress only.
/// </summary>
public sealed class KubernetesSecurityTests
{
    private static readonly Map Silo = Manifests.Named("Deployment", "ball-silo");
    private static readonly Map Web = Manifests.Named("Deployment", "ball-web");

    public static TheoryData<string> Deployments => new(Manifests.OfKind("Deployment").Select(d => d.Get("metadata").Text("name")!));

    [Theory]
    [MemberData(nameof(Deployments))]
    public void Containers_cannot_gain_privileges_or_write_to_their_image(string name)
    {
        var pod = PodSpec(Manifests.Named("Deployment", name));
        Assert.Equal("RuntimeDefault", pod.Get("securityContext").Get("seccompProfile").Text("type"));
        var container = pod.List("containers").Single();
        var security = container.Get("securityContext");
        Assert.Equal("false", security.Text("allowPrivilegeEscalation"));
        Assert.Equal("true", security.Text("readOnlyRootFilesystem"));
        Assert.Equal(["ALL"], security.Get("capabilities").Texts("drop"));

        // /tmp, the one folder the runtime writes to, is a volume of the pod's own.
        var tmp = container.List("volumeMounts").Single(m => m.Text("mountPath") == "/tmp");
        var volume = pod.List("volumes").Single(v => v.Text("name") == tmp.Text("name"));
        Assert.True(volume.Has("emptyDir"), $"{name}: /tmp is not an emptyDir");
    }

    [Fact]
    public void The_web_pod_carries_no_service_account_token_and_silos_keep_theirs()
    {
        Assert.Equal("false", PodSpec(Web).Text("automountServiceAccountToken"));
        // Orleans.Hosting.Kubernetes watches and deletes pods with it.
        Assert.NotEqual("false", PodSpec(Silo).Text("automountServiceAccountToken"));
    }

    [Fact]
    public void Only_other_silos_reach_the_silo_port_and_only_the_web_tier_the_gateway()
    {
        var silo = AllowedPeers(Silo, "silo");
        var gateway = AllowedPeers(Silo, "gateway");

        Assert.NotNull(silo);
        Assert.NotEmpty(silo);
        Assert.All(silo, peer => Assert.True(SelectsPodsOf(peer, Silo), "a peer other than the silos may reach the silo port"));
        Assert.NotNull(gateway);
        Assert.NotEmpty(gateway);
        Assert.All(gateway, peer => Assert.True(SelectsPodsOf(peer, Web), "a peer other than the web tier may reach the gateway"));
    }

    [Theory]
    [InlineData("ball-silo", "metrics")]
    [InlineData("ball-web", "http")]
    public void Other_ports_are_open_to_named_namespaces_not_to_the_world(string deployment, string port)
    {
        var peers = AllowedPeers(Manifests.Named("Deployment", deployment), port);

        Assert.NotNull(peers);
        Assert.NotEmpty(peers);
        Assert.All(peers, peer =>
        {
            Assert.False(peer.Has("ipBlock"), $"{deployment}: port {port} is open to an address block");
            Assert.True(peer.Get("namespaceSelector").Get("matchLabels").Strings().Count > 0,
                $"{deployment}: port {port} is open to every namespace");
        });
    }

    [Fact]
    public void Forwarded_headers_are_believed_from_the_ingress_network_only()
    {
        var env = Env(Web);
        Assert.DoesNotContain(Manifests.OfKind("Deployment").SelectMany(d => Env(d).Keys), key => key == "ASPNETCORE_FORWARDEDHEADERS_ENABLED");

        var networks = env.Where(e => e.Key.StartsWith($"{TrustedProxyOptions.Section}__{nameof(TrustedProxyOptions.KnownNetworks)}__", StringComparison.Ordinal))
            .Select(e => e.Value.Text("value")!)
            .ToList();
        Assert.NotEmpty(networks);
        Assert.All(networks, n => Assert.True(IPNetwork.TryParse(n, out var network) && network.PrefixLength > 0, $"'{n}' is not a bounded network"));
    }

    [Theory]
    [InlineData("ball-silo", "ball-silo-tls")]
    [InlineData("ball-web", "ball-web-tls")]
    public void The_cluster_transport_uses_certificates_from_a_mounted_secret_of_its_own(string deployment, string secret)
    {
        var manifest = Manifests.Named("Deployment", deployment);
        var pod = PodSpec(manifest);
        var volume = pod.List("volumes").Single(v => v.Find("secret")?.Text("secretName") == secret);
        var mount = pod.List("containers").Single().List("volumeMounts").Single(m => m.Text("name") == volume.Text("name"));
        Assert.Equal("true", mount.Text("readOnly"));
        // The key is the app's group's to read (fsGroup), nobody else's.
        Assert.Equal(0, Convert.ToInt32(volume.Get("secret").Text("defaultMode"), 8) & 0b111);
        Assert.NotNull(pod.Get("securityContext").Text("fsGroup"));

        var env = Env(manifest);
        Assert.False(env.ContainsKey($"Orleans__Tls__{nameof(ClusterTlsOptions.Insecure)}"), $"{deployment} turns TLS off");
        var mounted = mount.Text("mountPath");
        Assert.Equal($"{mounted}/tls.crt", env[$"Orleans__Tls__{nameof(ClusterTlsOptions.CertificatePath)}"].Text("value"));
        Assert.Equal($"{mounted}/tls.key", env[$"Orleans__Tls__{nameof(ClusterTlsOptions.KeyPath)}"].Text("value"));
        Assert.Equal($"{mounted}/ca.crt", env[$"Orleans__Tls__{nameof(ClusterTlsOptions.CaPath)}"].Text("value"));

        // The example Secret has the shape mounted, and no certificate or key anyone could use.
        var example = Manifests.Named("Secret", secret);
        Assert.Equal("kubernetes.io/tls", example.Text("type"));
        Assert.False(example.Has("data"), "base64 data in the example Secret");
        var values = example.Get("stringData").Strings();
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], values.Keys.Order());
        Assert.All(values.Values, value => Assert.DoesNotContain("-----BEGIN", value, StringComparison.Ordinal));
    }

    /// <summary>
    /// The peers the network policies let reach <paramref name="portName"/> of the deployment's
    /// pods, from every rule that covers it; null when no policy selects the pods, or a rule lets
    /// anyone in (no <c>from</c>).
    /// </summary>
    private static List<Map>? AllowedPeers(Map deployment, string portName)
    {
        var labels = PodLabels(deployment);
        var container = PodSpec(deployment).List("containers").Single();
        var number = container.List("ports").Single(p => p.Text("name") == portName).Text("containerPort");
        var policies = Manifests.OfKind("NetworkPolicy")
            .Where(p => p.Get("spec").Get("podSelector").Get("matchLabels").Strings().All(l => labels.GetValueOrDefault(l.Key) == l.Value))
            .Where(p => p.Get("spec").Texts("policyTypes").Contains("Ingress"))
            .ToList();
        if (policies.Count == 0)
        {
            return null;
        }

        var peers = new List<Map>();
        foreach (var rule in policies.SelectMany(p => p.Get("spec").List("ingress")))
        {
            var ports = rule.List("ports").Select(p => p.Text("port")).ToList();
            if (ports.Count > 0 && !ports.Contains(number) && !ports.Contains(portName))
            {
                continue;
            }

            var from = rule.List("from").ToList();
            if (from.Count == 0)
            {
                return null;
            }

            peers.AddRange(from);
        }

        return peers;
    }

    // A pod selector alone (same namespace) that picks exactly the deployment's pods.
    private static bool SelectsPodsOf(Map peer, Map deployment) =>
        !peer.Has("namespaceSelector") && !peer.Has("ipBlock")
        && peer.Get("podSelector").Get("matchLabels").Strings() is { Count: > 0 } selector
        && selector.All(l => PodLabels(deployment).GetValueOrDefault(l.Key) == l.Value);

    private static Map PodSpec(Map deployment) => deployment.Get("spec").Get("template").Get("spec");

    private static Dictionary<string, string> PodLabels(Map deployment) =>
        deployment.Get("spec").Get("template").Get("metadata").Get("labels").Strings();

    private static Dictionary<string, Map> Env(Map deployment) =>
        PodSpec(deployment).List("containers").Single().List("env").ToDictionary(e => e.Text("name")!);
}
