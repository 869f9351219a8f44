using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Hosting;

namespace BallOrleans.Tests.Deploy;

/// <summary>
/// What the manifests do against a neighbour in the cluster: containers that cannot gain
/// privileges or change their image, no API token where none is needed, network policies in front
/// of every port, forwarded headers believed only with the ingress's client certificate, a
/// metrics port of the web tier's own, no Secret applied with the
/// manifests, and a Role no wider than Orleans needs.
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
    [InlineData("ball-web", "https")]
    [InlineData("ball-web", "metrics")]
    public void Other_ports_are_open_to_named_pods_of_named_namespaces_not_to_whole_namespaces(string deployment, string port)
    {
        var peers = AllowedPeers(Manifests.Named("Deployment", deployment), port);

        Assert.NotNull(peers);
        Assert.NotEmpty(peers);
        Assert.All(peers, peer =>
        {
            Assert.False(peer.Has("ipBlock"), $"{deployment}: port {port} is open to an address block");
            Assert.True(peer.Find("namespaceSelector")?.Find("matchLabels")?.Strings().Count > 0,
                $"{deployment}: port {port} is open to every namespace");
            // Any pod of a namespace could be anything its owners run there.
            Assert.True(peer.Find("podSelector")?.Find("matchLabels")?.Strings().Count > 0,
                $"{deployment}: port {port} is open to every pod of {NetworkPolicies.Describe(peer)}");
        });
    }

    [Fact]
    public void The_web_tiers_ports_admit_the_ingress_on_https_prometheus_on_metrics_and_no_pod_on_plain_http()
    {
        Assert.Equal(
            ["namespace=kubernetes.io/metadata.name=ingress-nginx; pods=app.kubernetes.io/component=controller,app.kubernetes.io/name=ingress-nginx"],
            AllowedPeers(Web, "https")!.Select(NetworkPolicies.Describe));
        Assert.Equal(
            ["namespace=kubernetes.io/metadata.name=monitoring; pods=app.kubernetes.io/name=prometheus"],
            AllowedPeers(Web, "metrics")!.Select(NetworkPolicies.Describe));
        // The kubelet's probes come from the node, which no policy blocks; port-forward arrives on loopback.
        Assert.Empty(AllowedPeers(Web, "http")!);
    }

    /// <remarks>
    /// An address is no proof of who sent a request: pod addresses are reused, and a CNI that
    /// does not enforce NetworkPolicy lets every pod reach the web pods. The code refuses to start
    /// with any <c>ForwardedHeaders__*</c> setting; this keeps the manifests from trying.
    /// </remarks>
    [Theory]
    [MemberData(nameof(Deployments))]
    public void No_manifest_believes_forwarded_headers_on_an_address(string name)
    {
        var env = Env(Manifests.Named("Deployment", name));
        Assert.False(env.ContainsKey("ASPNETCORE_FORWARDEDHEADERS_ENABLED"), $"{name} believes X-Forwarded-For from anyone");
        Assert.DoesNotContain(env.Keys, k => k.StartsWith(TrustedProxies.RetiredSection + "__", StringComparison.Ordinal));
    }

    /// <summary>
    /// The proof, both sides: the web tier requires the ingress CA's client certificate on its
    /// HTTPS port and believes forwarded headers there alone; the Ingress talks HTTPS to that port,
    /// presents the proxy's certificate from a Secret, and verifies the pods' certificate.
    /// </summary>
    [Fact]
    public void Forwarded_headers_count_only_from_the_ingress_proved_by_its_client_certificate()
    {
        var pod = PodSpec(Web);
        var env = Env(Web);
        var ports = pod.List("containers").Single().List("ports").ToDictionary(p => p.Text("name")!, p => p.Text("containerPort")!);
        Assert.Equal(ports["https"], env["ASPNETCORE_HTTPS_PORTS"].Text("value"));
        Assert.Equal(ports["http"], env["ASPNETCORE_HTTP_PORTS"].Text("value"));

        var secret = "ball-web-ingress-tls";
        var volume = pod.List("volumes").Single(v => v.Find("secret")?.Text("secretName") == secret);
        var mounted = pod.List("containers").Single().List("volumeMounts").Single(m => m.Text("name") == volume.Text("name")).Text("mountPath");
        Assert.Equal(0, Convert.ToInt32(volume.Get("secret").Text("defaultMode"), 8) & 0b111);
        Assert.Equal($"{mounted}/ca.crt", env[$"{IngressOptions.Section}__{nameof(IngressOptions.ClientCaPath)}"].Text("value"));
        Assert.Equal($"{mounted}/tls.crt", env["Kestrel__Certificates__Default__Path"].Text("value"));
        Assert.Equal($"{mounted}/tls.key", env["Kestrel__Certificates__Default__KeyPath"].Text("value"));
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], Manifests.Example("Secret", secret).Get("stringData").Strings().Keys.Order());

        var ingress = Manifests.OfKind("Ingress").Single();
        var annotations = ingress.Get("metadata").Get("annotations").Strings();
        Assert.Equal("HTTPS", annotations["nginx.ingress.kubernetes.io/backend-protocol"]);
        Assert.Equal("on", annotations["nginx.ingress.kubernetes.io/proxy-ssl-verify"]);
        var proxySecret = annotations["nginx.ingress.kubernetes.io/proxy-ssl-secret"].Split('/')[1];
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], Manifests.Example("Secret", proxySecret).Get("stringData").Strings().Keys.Order());

        // Every backend is the web Service's port that leads to the HTTPS container port.
        var service = Manifests.Named("Service", "ball-web").Get("spec");
        var backends = ingress.Get("spec").List("rules").SelectMany(r => r.Get("http").List("paths")).Select(p => p.Get("backend").Get("service")).ToList();
        Assert.NotEmpty(backends);
        Assert.All(backends, backend =>
        {
            Assert.Equal("ball-web", backend.Text("name"));
            var port = service.List("ports").Single(p => p.Text("name") == backend.Get("port").Text("name"));
            Assert.Equal("https", port.Text("targetPort"));
        });
        Assert.All(service.List("ports"), p => Assert.Equal("https", p.Text("targetPort")));
    }

    [Fact]
    public void Prometheus_scrapes_the_web_tier_on_a_metrics_port_of_its_own()
    {
        var ports = PodSpec(Web).List("containers").Single().List("ports").ToDictionary(p => p.Text("name")!, p => p.Text("containerPort")!);
        Assert.Equal(ports["metrics"], Env(Web)[$"{SiloMetricsOptions.Section}__{nameof(SiloMetricsOptions.Port)}"].Text("value"));
        Assert.NotEqual(ports["metrics"], ports["http"]);
        Assert.NotEqual(ports["metrics"], ports["https"]);
    }

    [Fact]
    public void Applying_the_folder_applies_no_secret()
    {
        // `kubectl apply -f deploy/k8s/` would put the examples' placeholders over the real
        // Secrets, and every pod restarted after that would fail to start.
        Assert.Empty(Manifests.OfKind("Secret").Select(s => $"{s.File}: {s.Get("metadata").Text("name")}"));
        Assert.Equal(["ball-db-runtime", "ball-ingress-proxy-tls", "ball-postgres", "ball-postgres-owner", "ball-silo-tls", "ball-web-ingress-tls", "ball-web-tls"],
            Manifests.Examples.Where(e => e.Text("kind") == "Secret").Select(e => e.Get("metadata").Text("name")).Order());
    }

    [Fact]
    public void The_network_policies_say_what_guards_the_cluster_transport_today()
    {
        var text = File.ReadAllText(Path.Combine(Manifests.Folder, "network-policy.yaml"));
        Assert.DoesNotContain("no mutual TLS", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("mutual TLS", text, StringComparison.Ordinal);
    }

    /// <remarks>
    /// What Orleans.Hosting.Kubernetes calls (rbac.yaml says where each comes from): get, list,
    /// watch and delete of pods. Not patch: it relabels its own pod only when the labels differ
    /// from the configured ids, and <c>KubernetesManifestTests</c> pins that they do not.
    /// </remarks>
    [Fact]
    public void The_silos_role_grants_only_what_orleans_kubernetes_hosting_calls()
    {
        Assert.Empty(Manifests.OfKind("ClusterRole"));
        Assert.Empty(Manifests.OfKind("ClusterRoleBinding"));
        var account = PodSpec(Silo).Text("serviceAccountName");
        var bindings = Manifests.OfKind("RoleBinding").Where(b => b.List("subjects").Any(s => s.Text("name") == account)).ToList();
        var rules = bindings.SelectMany(b => Manifests.Named("Role", b.Get("roleRef").Text("name")!).List("rules")).ToList();

        var rule = Assert.Single(rules);
        Assert.Equal([""], rule.Texts("apiGroups"));
        Assert.Equal(["pods"], rule.Texts("resources"));
        Assert.Equal(["delete", "get", "list", "watch"], rule.Texts("verbs").Order());
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
        var example = Manifests.Example("Secret", secret);
        Assert.Equal("kubernetes.io/tls", example.Text("type"));
        Assert.False(example.Has("data"), "base64 data in the example Secret");
        var values = example.Get("stringData").Strings();
        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], values.Keys.Order());
        Assert.All(values.Values, value => Assert.DoesNotContain("-----BEGIN", value, StringComparison.Ordinal));
    }

    /// <summary>
    /// The peers the network policies let reach <paramref name="portName"/> of the deployment's
    /// pods (<see cref="NetworkPolicies.AllowedPeers"/>).
    /// </summary>
    private static List<Map>? AllowedPeers(Map deployment, string portName)
    {
        var container = PodSpec(deployment).List("containers").Single();
        var number = container.List("ports").Single(p => p.Text("name") == portName).Text("containerPort")!;
        return NetworkPolicies.AllowedPeers(PodLabels(deployment), number, portName);
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
