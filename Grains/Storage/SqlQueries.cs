using System.Reflection;

namespace BallOrleans.Grains.Storage;

/// <summary>The SQL files embedded in this assembly: <c>Storage/Queries/*.sql</c> and <c>Storage/Migrations/*.sql</c>.</summary>
internal static class SqlQueries
{
    private static readonly Assembly Assembly = typeof(SqlQueries).Assembly;

    /// <summary>The text of <c>Storage/Queries/<paramref name="name"/></c>.</summary>
    public static string Load(string name) => Read($"Queries/{name}");

    /// <summary>Every migration, in name order.</summary>
    public static IReadOnlyList<(string Name, string Sql)> Migrations() =>
        Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (n["Migrations/".Length..], Read(n)))
            .ToList();

    private static string Read(string resource)
    {
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"missing embedded SQL {resource}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
