using BallOrleans.Grains.Visitors;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Bulk-creates realistic visitors for demos and benchmarks, without a grain call per visitor:
/// grain-state rows exactly as <c>VisitorGrain</c> would store them (same key columns, same
/// serializer, version 1), copied in with COPY. The triggers on grain state fill the read model,
/// totals and visits per minute from each COPY, as they do for visits.
/// </summary>
public sealed class VisitorSeeder(
    NpgsqlDataSource dataSource, ColorAssignment assignment, SystemTextJsonGrainStorageSerializer serializer, TimeProvider clock)
{
    private const int RowsPerCopy = 50_000;
    private const string CopySql =
        "COPY ball_grain_state (service_id, state_name, grain_key, key_n0, key_n1, payload, version) FROM STDIN (FORMAT BINARY)";

    /// <summary>Writes <paramref name="visitors"/> new visitors; progress reports (phase, done, total).</summary>
    public async Task SeedAsync(string serviceId, int visitors, int seed, IProgress<(string Phase, long Done, long Total)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var random = new Random(seed);
        var now = clock.GetUtcNow();
        for (var written = 0; written < visitors;)
        {
            var rows = Math.Min(RowsPerCopy, visitors - written);
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            await using (var copy = await connection.BeginBinaryImportAsync(CopySql, cancellationToken))
            {
                for (var i = 0; i < rows; i++)
                {
                    var id = VisitorId.NewId();
                    var payload = serializer.Serialize(NewVisitor(id, random, now)).ToArray();
                    await copy.StartRowAsync(cancellationToken);
                    await copy.WriteAsync(serviceId, NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync("visitor", NpgsqlDbType.Text, cancellationToken);
                    await copy.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                    // String-keyed grains: the provider stores both integer key halves as 0.
                    await copy.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
                    await copy.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
                    await copy.WriteAsync(payload, NpgsqlDbType.Bytea, cancellationToken);
                    await copy.WriteAsync(1, NpgsqlDbType.Integer, cancellationToken);
                }

                await copy.CompleteAsync(cancellationToken);
            }

            written += rows;
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
