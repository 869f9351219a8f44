using Npgsql;
using Orleans.Storage;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// The visitors' storage in ADO.NET mode (<c>Storage:Visitors=adonet</c>): Orleans'
/// <see cref="AdoNetGrainStorage"/>, whose write outcomes are classified exactly as
/// <see cref="GroupedVisitorStorage"/> classifies its own, so that both modes give a visit the same
/// honest answer.
/// </summary>
/// <remarks>
/// The provider alone reports a lost answer as the database's exception (the visit would be "not
/// stored", and its visitor, reloading, counted twice) and a commit whose wait for the synchronous
/// standby was cancelled as success (a 200 for a visit on the primary alone). Here, as in grouped
/// mode: an error PostgreSQL sent is an answer (rolled back); a connection that failed (broke,
/// timed out, or was ended by a server shutting down) once the write's connection was open, or a
/// warning during the write (<see cref="CommitWarnings"/>), is <see cref="CommitOutcomeUnknownException"/>,
/// and the pooled connections are dropped. A failure before any connection was open (none could be
/// made) certainly did not commit, and the provider's own exceptions (a stale ETag, a state it
/// could not serialise) are answers too, so those pass unchanged. The provider's connections come
/// from <see cref="WatchedDataSource"/>, which shows this wrapper the write's connection.
/// </remarks>
internal sealed class AdoNetVisitorStorage(AdoNetGrainStorage inner, WatchedDataSource dataSource) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WatchedAsync(grainState, () => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WatchedAsync(grainState, () => inner.ClearStateAsync(stateName, grainId, grainState));

    // The provider initialises itself at a stage of the silo's lifecycle (it reads its queries then).
    public void Participate(ISiloLifecycle lifecycle) => inner.Participate(lifecycle);

    private async Task WatchedAsync<T>(IGrainState<T> grainState, Func<Task> write)
    {
        var (etag, recordExists) = (grainState.ETag, grainState.RecordExists);
        using var watch = WatchedDataSource.Watch();
        try
        {
            await write();
        }
        catch (NpgsqlException ex) when (watch.ConnectionOpened && CommitOutcomeUnknownException.Leaves(ex))
        {
            // As GroupedVisitorStorage: whether it committed is PostgreSQL's to know, and the pool's
            // other connections to that server are as doubtful.
            dataSource.Clear();
            throw new CommitOutcomeUnknownException(ex);
        }

        try
        {
            watch.ThrowIfWarned();
        }
        catch (CommitOutcomeUnknownException)
        {
            // The provider took the new version as stored; like any failed write, this one leaves
            // the grain's view of storage as it was (the grain reads the row again before trusting it).
            (grainState.ETag, grainState.RecordExists) = (etag, recordExists);
            throw;
        }
    }
}
