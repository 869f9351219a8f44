using System.Text;
using Microsoft.Extensions.Options;

namespace BallOrleans.Grains.Visitors;

/// <summary>
/// Deterministic bucketing of a visitor id into a color, by a seeded hash (as GrowthBook and
/// Optimizely do): the same id and seed always land in the same bucket, and ids spread
/// uniformly over the buckets.
/// </summary>
public sealed class ColorAssignment(IOptions<ColorWeightsOptions> options)
{
    private const uint Buckets = 10_000;
    private readonly ColorWeightsOptions _options = options.Value;

    public BallColor ColorFor(string visitorId)
    {
        var bucket = Bucket(_options.AssignmentSeed, visitorId);
        // Bucket b in [0, 10000) is red when it falls in the first RedWeight/Total share.
        return (ulong)bucket * (ulong)_options.TotalWeight < (ulong)_options.RedWeight * Buckets
            ? BallColor.Red
            : BallColor.Blue;
    }

    /// <summary>The visitor's bucket in [0, 10000), from FNV-1a over "seed:id".</summary>
    /// <remarks>
    /// FNV-1a, 32-bit, written here rather than taken from a package: it is ten lines, it needs
    /// no allocation per call, and it is the hash GrowthBook's SDKs bucket with, which lets an
    /// assignment be checked by hand against theirs.
    /// </remarks>
    public static uint Bucket(string seed, string visitorId)
    {
        const uint offsetBasis = 2166136261;
        const uint prime = 16777619;
        var hash = offsetBasis;
        Span<byte> buffer = stackalloc byte[256];
        var input = $"{seed}:{visitorId}";
        var bytes = Encoding.UTF8.GetByteCount(input) <= buffer.Length
            ? buffer[..Encoding.UTF8.GetBytes(input, buffer)]
            : Encoding.UTF8.GetBytes(input);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * prime;
        }

        return hash % Buckets;
    }
}
