using BallOrleans.Grains.Visitors;
using Orleans.Storage;

namespace BallOrleans.Grains.Storage;

/// <summary>
/// The visitors' storage: the ADO.NET provider, except that the activation read of a freshly
/// minted visitor (see <see cref="MintedVisitor"/>) is answered "no record" without a query.
/// </summary>
internal sealed class MintedVisitorStorage(IGrainStorage adoNet) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Only a state that was never read nor written: ETag null, no record. Orleans created it
        // with a fresh T, which is exactly what a read that finds no row leaves behind.
        if (grainState.ETag is null && !grainState.RecordExists && MintedVisitor.IsMarked(grainId))
        {
            return Task.CompletedTask;
        }

        return adoNet.ReadStateAsync(stateName, grainId, grainState);
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        adoNet.WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        adoNet.ClearStateAsync(stateName, grainId, grainState);
}
