using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Visitors;
using Npgsql;

namespace BallOrleans.Web.Stats;

/// <summary>
/// Reads of the visitor read model: keyset pages. By first visit a page walks an index in either
/// direction, so it costs the same on the first and the millionth row; by last visit or views
/// (no index: visits change them) it sorts the visitors. Also holds the key that signs cursors.
/// </summary>
public sealed class VisitorStatsReader(NpgsqlDataSource dataSource, VisitorPseudonymKey pseudonyms)
{
    // One SQL text per shape (sort × direction × filter × cursor), built from fixed fragments
    // only, and kept, so that the auto-prepared statements are reused.
    private static readonly ConcurrentDictionary<(VisitorSort, bool, bool), string> Queries = new();
    private byte[]? _cursorKey;

    public async Task<List<VisitorRow>> PageAsync(
        VisitorSort sort, BallColor? color, VisitorPosition? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(Queries.GetOrAdd((sort, color is not null, after is not null), BuildSql));
        if (color is { } c)
        {
            command.Parameters.Add(new() { Value = c.Name() });
        }

        if (after is not null)
        {
            command.Parameters.Add(sort.Key == VisitorSortKey.Views
                ? new NpgsqlParameter { Value = after.Value }
                : new NpgsqlParameter { Value = VisitorRow.FromMicroseconds(after.Value) });
            command.Parameters.Add(new() { Value = after.Pid });
        }

        command.Parameters.Add(new() { Value = limit });
        var rows = new List<VisitorRow>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (BallColors.TryParse(reader.GetString(1), out var rowColor))
            {
                rows.Add(new VisitorRow(reader.GetFieldValue<byte[]>(0), rowColor, reader.GetInt64(2), reader.GetInt64(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5)));
            }
        }

        return rows;
    }

    /// <summary>The key cursors are signed with: derived from the database's pseudonym key, so every web process agrees.</summary>
    public async Task<byte[]> CursorKeyAsync(CancellationToken cancellationToken = default)
    {
        if (_cursorKey is { } cached)
        {
            return cached;
        }

        var key = await pseudonyms.KeyAsync().WaitAsync(cancellationToken);
        // A separate key per purpose: a cursor's MAC must never be usable as a pseudonym.
        return _cursorKey = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("ball cursor v1"));
    }

    private static string BuildSql((VisitorSort Sort, bool ByColor, bool After) shape)
    {
        var column = shape.Sort.Key switch
        {
            VisitorSortKey.FirstSeen => "first_seen",
            VisitorSortKey.LastSeen => "last_seen",
            _ => "views",
        };
        var direction = shape.Sort.Descending ? "DESC" : "ASC";
        var sql = new StringBuilder("SELECT pid, color, red_views, blue_views, first_seen, last_seen FROM ball_visitor_stats WHERE true");
        var next = 1;
        if (shape.ByColor)
        {
            sql.Append($" AND color = ${next++}");
        }

        if (shape.After)
        {
            sql.Append($" AND ({column}, pid) {(shape.Sort.Descending ? "<" : ">")} (${next++}, ${next++})");
        }

        sql.Append($" ORDER BY {column} {direction}, pid {direction} LIMIT ${next}");
        return sql.ToString();
    }
}
