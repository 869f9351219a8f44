using System.Text.Json;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Visitors;
using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// One visitor row as the visit batch statement (<c>ball_visitors_write</c>'s) takes it: the payload the ADO.NET provider reads,
/// and beside it the typed figures the stats read, taken from the state when the write is made.
/// </summary>
public sealed class VisitorRowWrite(string key, byte[] payload, int? expectedVersion, byte[] pid, VisitorState state)
{
    /// <summary>Each browser family as the payload names it (its JSON name), made once.</summary>
    private static readonly Dictionary<BrowserFamily, string> BrowserNames =
        Enum.GetValues<BrowserFamily>().ToDictionary(f => f, f => JsonSerializer.Serialize(f).Trim('"'));

    public string Key { get; } = key;

    public byte[] Payload { get; } = payload;

    /// <summary>The stored version the write expects; null for an insert.</summary>
    public int? ExpectedVersion { get; } = expectedVersion;

    public byte[] Pid { get; } = pid;

    public string Color { get; } = state.Color.Name();

    public long RedViews { get; } = state.RedViews;

    public long BlueViews { get; } = state.BlueViews;

    public DateTime FirstSeen { get; } = state.FirstSeen.UtcDateTime;

    public DateTime LastSeen { get; } = state.LastSeen.UtcDateTime;

    public string? Browser { get; } = state.Browser is { } family ? BrowserNames[family] : null;

    /// <summary>
    /// The statement of <c>ball_visitors_write</c> (Storage/Functions/visitors.sql), sent on its own:
    /// one planned statement a batch (prepared once per connection by Npgsql's auto-prepare), with
    /// no function call around it.
    /// </summary>
    private static readonly string WriteSql = SqlQueries.Marked("Functions/visitors.sql", "visit batch statement");

    /// <summary>
    /// The write of <paramref name="rows"/>, which must have distinct keys in ordinal order (the
    /// lock order of every visitor write), and the journal row of what they change in the stats,
    /// in one statement. It returns the rows written with their new version; a row missing from
    /// the result was stale.
    /// </summary>
    public static NpgsqlCommand Command(string serviceId, IReadOnlyList<VisitorRowWrite> rows)
    {
        var command = new NpgsqlCommand(WriteSql);
        command.Parameters.Add(new() { Value = serviceId });
        command.Parameters.Add(new() { Value = StorageNames.VisitorState });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Key).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Payload).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.ExpectedVersion).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Pid).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Color).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.RedViews).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.BlueViews).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.FirstSeen).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.LastSeen).ToArray() });
        command.Parameters.Add(new() { Value = rows.Select(r => r.Browser).ToArray() });
        return command;
    }
}
