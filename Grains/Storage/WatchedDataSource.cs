using System.Data.Common;
using Npgsql;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// The connections of the ADO.NET provider (<c>Storage:Visitors=adonet</c>): the process's
/// <see cref="NpgsqlDataSource"/>, through which <see cref="AdoNetVisitorStorage"/> sees the
/// connection each of its writes runs on, to read that write's commit as the grouped storage reads
/// its own. The provider opens and disposes its connections itself, one per operation, and tells
/// nobody which; a write marks itself (<see cref="Watch"/>), and the connection opened under that
/// mark is the write's.
/// </summary>
/// <remarks>
/// The mark is an <see cref="AsyncLocal{T}"/>: the provider opens the connection within the
/// write's own call, so the mark flows to it, and to no other write's.
/// </remarks>
internal sealed class WatchedDataSource(NpgsqlDataSource inner) : DbDataSource
{
    private static readonly AsyncLocal<CommitWatch?> Current = new();

    public override string ConnectionString => inner.ConnectionString;

    /// <summary>Starts watching the connection the provider opens next on this call path, until disposed.</summary>
    public static CommitWatch Watch()
    {
        var watch = new CommitWatch();
        Current.Value = watch;
        return watch;
    }

    /// <summary>Drops the pooled connections (those of the whole process: it is the same pool).</summary>
    public void Clear() => inner.Clear();

    protected override DbConnection CreateDbConnection() => inner.CreateConnection();

    protected override DbConnection OpenDbConnection()
    {
        var connection = inner.OpenConnection();
        Current.Value?.Opened(connection);
        return connection;
    }

    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = await inner.OpenConnectionAsync(cancellationToken);
        Current.Value?.Opened(connection);
        return connection;
    }

    // The inner data source is the process's, owned by the container: nothing of it is disposed here.
    protected override void Dispose(bool disposing)
    {
    }

    protected override ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;

    /// <summary>One write's connection: whether it was opened, and the warnings PostgreSQL sent on it.</summary>
    internal sealed class CommitWatch : IDisposable
    {
        // One connection per provider operation; a clear of a state never read opens two (a read, then the clear).
        private readonly List<CommitWarnings> _connections = [];

        /// <summary>
        /// A connection was opened for the write: a failure from here on may come after its
        /// statement went out. One before it (no server took the connection) certainly did not.
        /// </summary>
        public bool ConnectionOpened => _connections.Count > 0;

        /// <summary>Throws <see cref="CommitOutcomeUnknownException"/> when PostgreSQL warned during the write.</summary>
        public void ThrowIfWarned() => _connections.ForEach(c => c.ThrowIfAny());

        public void Dispose()
        {
            _connections.ForEach(c => c.Dispose());
            if (Current.Value == this)
            {
                Current.Value = null;
            }
        }

        internal void Opened(NpgsqlConnection connection) => _connections.Add(new CommitWarnings(connection));
    }
}
