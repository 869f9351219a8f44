using BallOrleans.Grains.Stats;

namespace BallOrleans.Grains.Bots;

/// <summary>
/// Requests excluded as bots, in total and per bot family (a short name such as "Googlebot"), and
/// (<see cref="Exposures"/>) the waterfall's in-memory counters: the requests the ball page
/// answered, per day, ball shown, bucket and arm. They travel together because they take the same path: kept
/// in memory by each web process, pushed every few seconds, summed by one grain.
/// A web process's counts run from its start; a sum adds up processes.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record BotCounts([property: Id(0)] long Total, [property: Id(1)] IReadOnlyDictionary<string, long> Families)
{
    public static readonly BotCounts None = new(0, new Dictionary<string, long>());

    /// <remarks>
    /// Field 3, not the 2 of the counters before the residuals (issue 27): those were keyed by
    /// reason and arm only, and a process of that version, during a rolling update, must not have
    /// its counters read as requests shown no ball.
    /// </remarks>
    [Id(3)]
    public IReadOnlyDictionary<ExposureKey, long> Exposures { get; init; } = new Dictionary<ExposureKey, long>();

    /// <summary>Both sets of counts added up, family by family and counter by counter.</summary>
    public BotCounts Plus(BotCounts other)
    {
        var families = new Dictionary<string, long>(Families, StringComparer.Ordinal);
        foreach (var (family, requests) in other.Families)
        {
            families[family] = families.GetValueOrDefault(family) + requests;
        }

        var exposures = new Dictionary<ExposureKey, long>(Exposures);
        foreach (var (key, requests) in other.Exposures)
        {
            exposures[key] = exposures.GetValueOrDefault(key) + requests;
        }

        return new BotCounts(Total + other.Total, families) { Exposures = exposures };
    }

    /// <summary>The <paramref name="count"/> families with the most requests, most first (ties by name).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Top(int count) =>
        [.. Families.OrderByDescending(f => f.Value).ThenBy(f => f.Key, StringComparer.Ordinal).Take(count)];
}
