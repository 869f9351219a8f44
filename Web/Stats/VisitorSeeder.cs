using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using Npgsql;
using Orleans.Storage;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Bulk-creates realistic visitors for demos and benchmarks, without a grain call per visitor:
/// rows exactly as <c>VisitorGrain</c> would store them (same key columns, same serializer,
/// version 1), written by the same statement as visits (<c>ball_visitors_write</c>'s), so the
/// stats count them as they count visitors once their journal is folded, which this does.
/// </summary>
public sealed class VisitorSeeder(
    NpgsqlDataSource dataSource, ColorAssignment assignment, SystemTextJsonGrainStorageSerializer serializer,
    VisitorPseudonymKey pseudonyms, TimeProvider clock)
{
    private const int RowsPerWrite = 5_000;

    /// <summary>Writes <paramref name="visitors"/> new visitors; progress reports (phase, done, total).</summary>
    public async Task SeedAsync(string serviceId, int visitors, int seed, IProgress<(string Phase, long Done, long Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var random = new Random(seed);
        var now = clock.GetUtcNow();
        var key = await pseudonyms.KeyAsync();
        for (var written = 0; written < visitors;)
        {
            var rows = Enumerable.Range(0, Math.Min(RowsPerWrite, visitors - written))
                .Select(_ => VisitorId.NewId())
                .Order(StringComparer.Ordinal)  // the lock order of every visitor write
                .Select(id =>
                {
                    var state = NewVisitor(id, random, now);
                    return new VisitorRowWrite(id, serializer.Serialize(state).ToArray(), null, VisitorPseudonymKey.Pid(key, id), state);
                })
                .ToArray();
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = VisitorRowWrite.Command(serviceId, rows);
            command.Connection = connection;
            await command.ExecuteNonQueryAsync(cancellationToken);
            // Folded as it goes, as a silo would fold it: a million visitors' journal left for the
            // site's first fold would make that one fold long.
            await using var fold = new NpgsqlCommand("SELECT ball_stats_fold(true)", connection) { CommandTimeout = 120 };
            await fold.ExecuteNonQueryAsync(cancellationToken);
            written += rows.Length;
            progress?.Report(("visitors", written, visitors));
        }
    }

    /// <summary>
    /// A visitor first seen some time in the last 30 days, with views falling off geometrically
    /// (most come once, a few come back often), all on the color the assignment gives them.
    /// </summary>
    private VisitorState NewVisitor(string id, Random random, DateTimeOffset now)
    {
        var first = now - TimeSpan.FromSeconds(random.NextDouble() * TimeSpan.FromDays(30).TotalSeconds);
        long views = 1;
        while (views < 500 && random.NextDouble() < 0.55)
        {
            views++;
        }

        var last = views == 1 ? first : first + (now - first) * random.NextDouble();
        var color = assignment.ColorFor(id);
        return new VisitorState
        {
            Color = color,
            RedViews = color == BallColor.Red ? views : 0,
            BlueViews = color == BallColor.Blue ? views : 0,
            FirstSeen = first,
            LastSeen = last,
        };
    }
}
