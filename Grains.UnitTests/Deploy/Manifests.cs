using BallOrleans.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace BallOrleans.Tests.Deploy;

/// <summary>
/// Every Kubernetes object in <c>deploy/k8s/*.yaml</c> (what <c>kubectl apply -f deploy/k8s/</c>
/// applies: it does not descend into folders without <c>-R</c>), as plain maps, lists and strings;
/// and, apart, the examples in <c>deploy/k8s/examples/</c>, which are never applied.
/// </summary>
public static class Manifests
{
    public const string ExamplesFolder = "examples";

    public static string Folder => Path.Combine(Repository.Root(), "deploy", "k8s");

    /// <summary>The objects <c>kubectl apply -f deploy/k8s/</c> applies.</summary>
    public static IReadOnlyList<Map> All { get; } = Load(Folder, "");

    /// <summary>The example objects (Secrets with placeholders), in <c>deploy/k8s/examples/</c>.</summary>
    public static IReadOnlyList<Map> Examples { get; } = Load(Path.Combine(Folder, ExamplesFolder), ExamplesFolder + "/");

    public static IEnumerable<Map> OfKind(string kind) => All.Where(o => o.Text("kind") == kind);

    public static Map Named(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => o.Get("metadata").Text("name") == name)
        ?? throw new InvalidOperationException($"no {kind} named {name} in deploy/k8s");

    /// <summary>An example object of <c>deploy/k8s/examples/</c>.</summary>
    public static Map Example(string kind, string name) =>
        Examples.SingleOrDefault(o => o.Text("kind") == kind && o.Get("metadata").Text("name") == name)
        ?? throw new InvalidOperationException($"no {kind} named {name} in deploy/k8s/{ExamplesFolder}");

    private static List<Map> Load(string folder, string prefix)
    {
        var objects = new List<Map>();
        foreach (var file in Directory.GetFiles(folder, "*.yaml").Concat(Directory.GetFiles(folder, "*.yml")).Order())
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                stream.Load(reader);
            }

            objects.AddRange(stream.Documents.Select(d => new Map((YamlMappingNode)d.RootNode, prefix + Path.GetFileName(file))));
        }

        return objects;
    }
}

/// <summary>One YAML mapping, with the few lookups the manifest tests need.</summary>
public sealed class Map(YamlMappingNode node, string file)
{
    public string File { get; } = file;

    public bool Has(string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    public string? Text(string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    public Map Get(string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? new Map((YamlMappingNode)value, File)
            : throw new KeyNotFoundException($"{File}: no '{key}'");

    public Map? Find(string key) => Has(key) ? Get(key) : null;

    public IEnumerable<Map> List(string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? ((YamlSequenceNode)value).Children.Select(c => new Map((YamlMappingNode)c, File))
            : [];

    /// <summary>A list of strings (verbs, resources).</summary>
    public IEnumerable<string> Texts(string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? ((YamlSequenceNode)value).Children.Select(c => ((YamlScalarNode)c).Value!)
            : [];

    /// <summary>A mapping of strings (labels, selectors) as a dictionary.</summary>
    public Dictionary<string, string> Strings() =>
        node.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!);
}

/// <summary>What the NetworkPolicies of <c>deploy/k8s</c> let in, read the way Kubernetes reads them.</summary>
public static class NetworkPolicies
{
    /// <summary>
    /// The peers the policies let reach port <paramref name="port"/> (its number, or its name
    /// <paramref name="portName"/>) of pods labelled <paramref name="podLabels"/>, from every rule
    /// that covers it; null when no policy selects the pods, or a rule lets anyone in (no <c>from</c>).
    /// </summary>
    public static List<Map>? AllowedPeers(IReadOnlyDictionary<string, string> podLabels, string port, string? portName = null)
    {
        var policies = Selecting(podLabels).ToList();
        if (policies.Count == 0)
        {
            return null;
        }

        var peers = new List<Map>();
        foreach (var rule in policies.SelectMany(p => p.Get("spec").List("ingress")))
        {
            var ports = rule.List("ports").Select(p => p.Text("port")).ToList();
            if (ports.Count > 0 && !ports.Contains(port) && (portName is null || !ports.Contains(portName)))
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

    /// <summary>The ingress policies that select pods labelled <paramref name="podLabels"/>.</summary>
    public static IEnumerable<Map> Selecting(IReadOnlyDictionary<string, string> podLabels) =>
        Manifests.OfKind("NetworkPolicy")
            .Where(p => p.Get("spec").Get("podSelector").Get("matchLabels").Strings().All(l => podLabels.GetValueOrDefault(l.Key) == l.Value))
            .Where(p => p.Get("spec").Texts("policyTypes").Contains("Ingress"));

    /// <summary>
    /// A peer in words, for comparing sets: <c>namespace=...; pods=k=v,...</c>, "namespace=(own)"
    /// for a pod selector alone (the policy's own namespace); an address block as itself.
    /// </summary>
    public static string Describe(Map peer)
    {
        if (peer.Find("ipBlock") is { } block)
        {
            return $"ipBlock={block.Text("cidr")}";
        }

        var space = peer.Find("namespaceSelector") is { } namespaces
            ? string.Join(',', (namespaces.Find("matchLabels")?.Strings() ?? new Dictionary<string, string>()).OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))
            : "(own)";
        var pods = peer.Find("podSelector") is { } selector
            ? string.Join(',', (selector.Find("matchLabels")?.Strings() ?? new Dictionary<string, string>()).OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))
            : "(all)";
        return $"namespace={(space.Length == 0 ? "(all)" : space)}; pods={(pods.Length == 0 ? "(all)" : pods)}";
    }
}
