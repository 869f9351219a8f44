namespace BallOrleans.Grains.Bots;

/// <summary>
/// Requests excluded as bots, in total and per bot family (a short name such as "Googlebot").
/// A web process's counts run from its start; a sum adds up processes.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record BotCounts([property: Id(0)] long Total, [property: Id(1)] IReadOnlyDictionary<string, long> Families)
{
    public static readonly BotCounts None = new(0, new Dictionary<string, long>());

    /// <summary>Both sets of counts added up, family by family.</summary>
    public BotCounts Plus(BotCounts other)
    {
        var families = new Dictionary<string, long>(Families, StringComparer.Ordinal);
        foreach (var (family, requests) in other.Families)
        {
            families[family] = families.GetValueOrDefault(family) + requests;
        }

        return new BotCounts(Total + other.Total, families);
    }

    /// <summary>The <paramref name="count"/> families with the most requests, most first (ties by name).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Top(int count) =>
        [.. Families.OrderByDescending(f => f.Value).ThenBy(f => f.Key, StringComparer.Ordinal).Take(count)];
}
