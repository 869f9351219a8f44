using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// A visitor row locked (<c>SELECT ... FOR UPDATE</c>) by a transaction of its own until disposed,
/// which rolls it back: a writer of that row waits on it, and with a short command timeout gets no
/// answer in time, as when the database or the network stalls after the statement went out.
/// </summary>
internal sealed class RowLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private RowLock(NpgsqlConnection connection, NpgsqlTransaction transaction) => (_connection, _transaction) = (connection, transaction);

    public static async Task<RowLock> HoldAsync(string database, string visitorId)
    {
        var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM (SELECT 1 FROM ball_grain_state WHERE grain_key = $1 AND state_name = 'visitor' FOR UPDATE) l", connection, transaction);
        command.Parameters.Add(new() { Value = visitorId });
        Xunit.Assert.Equal(1L, await command.ExecuteScalarAsync());
        return new RowLock(connection, transaction);
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
