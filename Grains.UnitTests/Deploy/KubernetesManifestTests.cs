using BallOrleans.Tests.Infrastructure;
using BallOrleans.Grains.Stats;
using System.Reflection;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using System.Text.RegularExpressions;
using BallOrleans.Web.Admin;
using BallOrleans.Web.Hosting;
using BallOrleans.Web.Operations;
using BallOrleans.Web.Visits;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using BallOrleans.Web.Limits;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Tests.Deploy;

/// <summary>
/// No Kubernetes here, so the fields the cluster depends on are checked by reading the manifests:
/// selectors, labels, the environment the code reads, probes, ports and shutdown timing.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private static readonly Map Silo = Manifests.Named("Deployment", "ball-silo");
    private static readonly Map Web = Manifests.Named("Deployment", "ball-web");

    public static TheoryData<string> Deployments => new(Manifests.OfKind("Deployment").Select(d => d.Get("metadata").Text("name")!));

    [Theory]
    [MemberData(nameof(Deployments))]
    public void A_deployment_selects_its_own_pods_and_rolls_without_losing_capacity(string name)
    {
        var deployment = Manifests.Named("Deployment", name);
        var selector = deployment.Get("spec").Get("selector").Get("matchLabels").Strings();
        var labels = PodLabels(deployment);
        Assert.All(selector, pair => Assert.Equal(pair.Value, labels.GetValueOrDefault(pair.Key)));
        Assert.Equal("0", deployment.Get("spec").Get("strategy").Get("rollingUpdate").Text("maxUnavailable"));
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void Shutdown_gets_less_time_than_the_grace_period(string name)
    {
        var pod = Manifests.Named("Deployment", name).Get("spec").Get("template").Get("spec");
        var grace = int.Parse(pod.Text("terminationGracePeriodSeconds")!);
        var shutdown = int.Parse(Env(Container(pod))["DOTNET_SHUTDOWNTIMEOUTSECONDS"].Text("value")!);
        Assert.True(grace > shutdown, $"{name}: grace {grace} s must exceed the shutdown timeout {shutdown} s");
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void Every_environment_variable_is_one_the_code_reads(string name)
    {
        var known = KnownEnvironment();
        var env = Env(Container(Manifests.Named("Deployment", name).Get("spec").Get("template").Get("spec")));
        // A list setting's items end in their index: Section__Key__0.
        Assert.All(env.Keys, key => Assert.Contains(ListItem().Replace(key, ""), known));
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void The_database_comes_from_the_secret(string name)
    {
        var env = Env(Container(Manifests.Named("Deployment", name).Get("spec").Get("template").Get("spec")));
        var secretRef = env["ConnectionStrings__" + PostgresConnection.ConfigKey].Get("valueFrom").Get("secretKeyRef");
        var secret = Manifests.Example("Secret", secretRef.Text("name")!);
        Assert.True(secret.Get("stringData").Has(secretRef.Text("key")!));
    }

    [Fact]
    public void Silo_pods_carry_the_orleans_labels_with_the_configured_ids()
    {
        var labels = PodLabels(Silo);
        var env = Env(Container(Silo.Get("spec").Get("template").Get("spec")));
        Assert.Equal(env["Orleans__ServiceId"].Text("value"), labels[KubernetesHostingOptions.ServiceIdLabel]);
        Assert.Equal(env["Orleans__ClusterId"].Text("value"), labels[KubernetesHostingOptions.ClusterIdLabel]);
        Assert.Equal("true", env["Orleans__" + nameof(BallClusterOptions.Kubernetes)].Text("value"));
        Assert.Equal(env["Orleans__ClusterId"].Text("value"), Env(Container(Web.Get("spec").Get("template").Get("spec")))["Orleans__ClusterId"].Text("value"));
    }

    [Fact]
    public void Silo_pods_learn_their_name_namespace_and_address_from_the_downward_api()
    {
        var env = Env(Container(Silo.Get("spec").Get("template").Get("spec")));
        Assert.Equal("metadata.name", FieldRef(env[KubernetesHostingOptions.PodNameEnvironmentVariable]));
        Assert.Equal("metadata.namespace", FieldRef(env[KubernetesHostingOptions.PodNamespaceEnvironmentVariable]));
        Assert.Equal("status.podIP", FieldRef(env[KubernetesHostingOptions.PodIPEnvironmentVariable]));
    }

    [Fact]
    public void Silo_ports_match_the_configured_ports_and_probes_use_them()
    {
        var container = Container(Silo.Get("spec").Get("template").Get("spec"));
        var env = Env(container);
        var ports = Ports(container);
        Assert.Equal(env["Orleans__SiloPort"].Text("value"), ports["silo"]);
        Assert.Equal(env["Orleans__GatewayPort"].Text("value"), ports["gateway"]);
        Assert.Equal(env["Metrics__Port"].Text("value"), ports["metrics"]);
        Assert.Contains(container.Get("readinessProbe").Get("tcpSocket").Text("port")!, ports.Keys);
        Assert.Contains(container.Get("livenessProbe").Get("tcpSocket").Text("port")!, ports.Keys);
    }

    [Fact]
    public void Web_probes_use_the_health_endpoints_on_a_declared_port()
    {
        var container = Container(Web.Get("spec").Get("template").Get("spec"));
        var ports = Ports(container);
        var ready = container.Get("readinessProbe").Get("httpGet");
        var live = container.Get("livenessProbe").Get("httpGet");
        Assert.Equal(HealthEndpoints.ReadyPath, ready.Text("path"));
        Assert.Equal(HealthEndpoints.LivePath, live.Text("path"));
        Assert.Contains(ready.Text("port")!, ports.Keys);
        Assert.Contains(live.Text("port")!, ports.Keys);
    }

    [Fact]
    public void Services_autoscalers_budgets_and_roles_point_at_what_exists()
    {
        var service = Manifests.Named("Service", "ball-web").Get("spec");
        Assert.All(service.Get("selector").Strings(), pair => Assert.Equal(pair.Value, PodLabels(Web)[pair.Key]));
        Assert.All(service.List("ports"), p => Assert.Contains(p.Text("targetPort")!, Ports(Container(Web.Get("spec").Get("template").Get("spec"))).Keys));

        var target = Manifests.Named("HorizontalPodAutoscaler", "ball-silo").Get("spec").Get("scaleTargetRef");
        Assert.Equal("Deployment", target.Text("kind"));
        Assert.Equal("ball-silo", target.Text("name"));
        Assert.True(Container(Silo.Get("spec").Get("template").Get("spec")).Get("resources").Get("requests").Has("cpu"), "an HPA on CPU needs a CPU request");

        Assert.All(Manifests.OfKind("PodDisruptionBudget").Single().Get("spec").Get("selector").Get("matchLabels").Strings(),
            pair => Assert.Equal(pair.Value, PodLabels(Silo)[pair.Key]));

        var binding = Manifests.OfKind("RoleBinding").Single();
        var role = Manifests.Named("Role", binding.Get("roleRef").Text("name")!);
        Assert.Contains(role.List("rules"), r => r.Texts("resources").Contains("pods") && r.Texts("verbs").Contains("watch"));
        var account = binding.List("subjects").Single().Text("name");
        Assert.Equal(account, Silo.Get("spec").Get("template").Get("spec").Text("serviceAccountName"));
        Manifests.Named("ServiceAccount", account!);
    }

    [Theory]
    [InlineData("Dockerfile.silo")]
    [InlineData("Dockerfile.web")]
    public void Images_are_built_in_stages_and_run_as_a_user(string dockerfile)
    {
        var lines = File.ReadAllLines(Path.Combine(Manifests.Folder, dockerfile)).Select(l => l.Trim()).ToList();
        Assert.True(lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)) >= 2, "not a multi-stage build");
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..];
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        Assert.All(Manifests.OfKind("Deployment"), d =>
            Assert.Equal("true", d.Get("spec").Get("template").Get("spec").Get("securityContext").Text("runAsNonRoot")));

        // ReadyToRun: the project says so, and the publish names the runtime it compiles for.
        var publish = lines.Single(l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal));
        Assert.Contains(" -r linux-x64", publish);
        var project = publish.Split(' ')[3];
        Assert.Contains("<PublishReadyToRun>true</PublishReadyToRun>", File.ReadAllText(Path.Combine(Repository.Root(), project)));
    }

    /// <summary>Every setting name the code binds, spelled as environment variables.</summary>
    private static HashSet<string> KnownEnvironment()
    {
        var known = new HashSet<string>
        {
            "Orleans__Mode",
            "ConnectionStrings__" + PostgresConnection.ConfigKey,
            KubernetesHostingOptions.PodNameEnvironmentVariable,
            KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
            KubernetesHostingOptions.PodIPEnvironmentVariable,
            // Read by the .NET host and ASP.NET Core themselves.
            "DOTNET_SHUTDOWNTIMEOUTSECONDS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_TC_CallCountingDelayMs",
            "Kestrel__Certificates__Default__Path", "Kestrel__Certificates__Default__KeyPath",
            "Logging__Console__FormatterName",
        };
        AddSection(known, BallClusterOptions.Section, typeof(BallClusterOptions));
        AddSection(known, ClusterTlsOptions.Section, typeof(ClusterTlsOptions));
        AddSection(known, ClusterMembership.Section, typeof(ClusterMembershipOptions));
        AddSection(known, ColorWeightsOptions.Section, typeof(ColorWeightsOptions));
        AddSection(known, BallPageOptions.Section, typeof(BallPageOptions));
        AddSection(known, VisitOptions.Section, typeof(VisitOptions));
        AddSection(known, NewVisitorLimitOptions.Section, typeof(NewVisitorLimitOptions));
        AddSection(known, VisitorCookieOptions.Section, typeof(VisitorCookieOptions));
        AddSection(known, StatsOptions.Section, typeof(StatsOptions));
        AddSection(known, AdminOptions.Section, typeof(AdminOptions));
        AddSection(known, FailedLoginOptions.Section, typeof(FailedLoginOptions));
        AddSection(known, SiloMetricsOptions.Section, typeof(SiloMetricsOptions));
        AddSection(known, IngressOptions.Section, typeof(IngressOptions));
        return known;
    }

    private static void AddSection(HashSet<string> known, string section, Type options)
    {
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            known.Add($"{section.Replace(":", "__")}__{property.Name}");
        }
    }

    [GeneratedRegex("__[0-9]+$")]
    private static partial Regex ListItem();

    private static Dictionary<string, string> PodLabels(Map deployment) =>
        deployment.Get("spec").Get("template").Get("metadata").Get("labels").Strings();

    private static Map Container(Map podSpec) => podSpec.List("containers").Single();

    private static Dictionary<string, Map> Env(Map container) => container.List("env").ToDictionary(e => e.Text("name")!);

    private static Dictionary<string, string> Ports(Map container) =>
        container.List("ports").ToDictionary(p => p.Text("name")!, p => p.Text("containerPort")!);

    private static string? FieldRef(Map env) => env.Get("valueFrom").Get("fieldRef").Text("fieldPath");
}
