using System.Reflection;

namespace BallOrleans.Grains.Storage;

/// <summary>The SQL files embedded in this assembly: <c>Storage/Migrations</c> and <c>Storage/Functions</c>.</summary>
internal static class SqlQueries
{
    private static readonly Assembly Assembly = typeof(SqlQueries).Assembly;

    /// <summary>Every embedded file under <paramref name="folder"/> (e.g. <c>Migrations/</c>), in name order.</summary>
    public static IReadOnlyList<(string Name, string Sql)> Embedded(string folder) =>
        Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(folder, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (n[folder.Length..], Read(n)))
            .ToList();

    /// <summary>
    /// The statement of embedded file <paramref name="resource"/> (e.g. <c>Functions/visitors.sql</c>)
    /// between the lines <c>-- &gt;&gt;&gt; name</c> and <c>-- &lt;&lt;&lt; name</c>: a statement that a
    /// function of that file runs too, written once.
    /// </summary>
    public static string Marked(string resource, string name)
    {
        var sql = Read(resource);
        var (open, close) = ($"-- >>> {name}\n", $"-- <<< {name}");
        var start = sql.IndexOf(open, StringComparison.Ordinal);
        var end = sql.IndexOf(close, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            throw new InvalidOperationException($"{resource} has no statement marked '{name}'");
        }

        return sql[(start + open.Length)..end].TrimEnd();
    }

    private static string Read(string resource)
    {
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"missing embedded SQL {resource}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
