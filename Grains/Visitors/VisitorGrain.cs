using BallOrleans.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace BallOrleans.Grains.Visitors;

/// <summary>
/// Keeps one visitor's color and views. Every counted view is written through to PostgreSQL
/// before the caller gets its answer; the grain's turn-based concurrency makes concurrent
/// visits with the same cookie count exactly once each.
/// </summary>
/// <remarks>
/// Idle visitors leave memory after two minutes (Orleans' default is fifteen): most visitors come
/// once, and a reload within minutes still finds the grain. Every visitor activated in the last
/// two minutes is what the silo holds; bench/README.md has the measured cost per activation.
/// </remarks>
[CollectionAgeLimit(Minutes = 2)]
public sealed class VisitorGrain(
    [PersistentState(stateName: "visitor", storageName: StorageNames.Visitors)] IPersistentState<VisitorState> state,
    ColorAssignment assignment,
    IVisitObserver observer,
    TimeProvider clock,
    ILogger<VisitorGrain> logger) : Grain, IVisitorGrain
{
    // A record without a first-seen time was cleared, or never written: the visitor is unknown.
    private bool IsKnown => state.RecordExists && state.State.FirstSeen != default;

    public async Task<VisitResult> VisitAsync(bool firstVisit)
    {
        if (!IsKnown && !firstVisit)
        {
            // An id we never minted (or forgot): store nothing, and don't keep it in memory.
            DeactivateOnIdle();
            return VisitResult.Unknown;
        }

        var now = clock.GetUtcNow();
        var before = Copy(state.State);
        var wasKnown = IsKnown;
        try
        {
            CountView(now);
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException ex)
        {
            // Someone else wrote this visitor since we read it (a duplicate activation during a
            // partition, or a repair by hand). Their write is the truth: reload, count on top, and
            // write once more; if that fails too the caller sees the error.
            logger.LogWarning(ex, "Visitor {VisitorId} changed under us; reloading and counting again", this.GetPrimaryKeyString());
            MintedVisitor.Forget(); // a freshly minted id that did have a row: this read must be real
            await state.ReadStateAsync();
            before = Copy(state.State);
            wasKnown = IsKnown;
            CountView(now);
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State = before;
                throw;
            }
        }
        catch
        {
            // Not durable, so not counted: memory goes back to what storage holds.
            state.State = before;
            throw;
        }

        observer.OnVisitStored(this.GetPrimaryKeyString(), state.State, isNewVisitor: !wasKnown);
        return new VisitResult(View());
    }

    public Task<VisitResult> PeekAsync() =>
        Task.FromResult(IsKnown ? new VisitResult(View()) : VisitResult.Unknown);

    public Task<VisitorState?> GetStateAsync() =>
        Task.FromResult(IsKnown ? Copy(state.State) : null);

    private void CountView(DateTimeOffset now)
    {
        if (!IsKnown)
        {
            state.State = new VisitorState
            {
                Color = assignment.ColorFor(this.GetPrimaryKeyString()),
                FirstSeen = now,
            };
        }

        var s = state.State;
        if (s.Color == BallColor.Red)
        {
            s.RedViews++;
        }
        else
        {
            s.BlueViews++;
        }

        s.LastSeen = now;
    }

    private VisitorView View() => new(state.State.Color, state.State.ViewsOf(state.State.Color), state.State.FirstSeen);

    private static VisitorState Copy(VisitorState s) => new()
    {
        Color = s.Color,
        RedViews = s.RedViews,
        BlueViews = s.BlueViews,
        FirstSeen = s.FirstSeen,
        LastSeen = s.LastSeen,
    };
}
