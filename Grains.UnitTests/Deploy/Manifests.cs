using BallOrleans.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace BallOrleans.Tests.Deploy;

/// <summary>Every Kubernetes object in <c>deploy/k8s/*.yaml</c>, as plain maps, lists and strings.</summary>
public static class Manifests
{
    public static string Folder => Path.Combine(Repository.Root(), "deploy", "k8s");

    public static IReadOnlyList<Map> All { get; } = Load();

    public static IEnumerable<Map> OfKind(string kind) => All.Where(o => o.Text("kind") == kind);

    public static Map Named(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => o.Get("metadata").Text("name") == name)
        ?? throw new InvalidOperationException($"no {kind} named {name} in deploy/k8s");

    private static List<Map> Load()
    {
        var objects = new List<Map>();
        foreach (var file in Directory.GetFiles(Folder, "*.yaml").Order())
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                stream.Load(reader);
            }

            objects.AddRange(stream.Documents.Select(d => new Map((YamlMappingNode)d.RootNode, Path.GetFileName(file))));
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
