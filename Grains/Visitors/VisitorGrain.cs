using System.Diagnostics;
using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace BallOrleans.Grains.Visitors;

/// <summary>
/// Keeps one visitor's color and views. Every counted view is written through to PostgreSQL
/// before the caller gets its answer; the grain's turn-based concurrency makes concurrent
/// visits with the same cookie count exactly once each, and the request ids it keeps make a
/// retried visit count once.
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
    /// <summary>
    /// How many request ids are kept. A retry is only ever of a visit still in flight, so this
    /// need only cover the visits one visitor makes at once (a few tabs); each id adds ~40 bytes to
    /// the row, and the row's size is much of a write's cost.
    /// </summary>
    public const int RecentRequestLimit = 4;

    // A record without a first-seen time was cleared, or never written: the visitor is unknown.
    private bool IsKnown => state.RecordExists && state.State.FirstSeen != default;

    public async Task<VisitResult> VisitAsync(bool firstVisit, Guid requestId)
    {
        if (requestId == Guid.Empty)
        {
            // A caller that never retries; still listed, so every counted view has its id and
            // the arithmetic in AlreadyCounted holds.
            requestId = Guid.NewGuid();
        }

        if (AlreadyCounted(requestId) is { } earlier)
        {
            return new VisitResult(earlier);
        }

        if (!IsKnown && !firstVisit)
        {
            // An id we never minted (or forgot): store nothing, and don't keep it in memory.
            DeactivateOnIdle();
            return VisitResult.Unknown;
        }

        var now = clock.GetUtcNow();
        var before = Copy(state.State);
        try
        {
            CountView(now, requestId);
            await WriteAsync();
        }
        catch (InconsistentStateException ex)
        {
            // Someone else wrote this visitor since we read it: a duplicate activation during a
            // partition, an earlier attempt of this very visit whose answer was lost, or a repair
            // by hand. Their write is the truth: reload, and count on top unless it already holds
            // this visit.
            logger.LogWarning(ex, "Visitor {VisitorId} changed under us; reloading", this.GetPrimaryKeyString());
            MintedVisitor.Forget(); // a freshly minted id that did have a row: this read must be real
            try
            {
                await state.ReadStateAsync();
                if (AlreadyCounted(requestId) is { } written)
                {
                    return new VisitResult(written);
                }

                before = Copy(state.State);
                CountView(now, requestId);
                await WriteAsync();
            }
            catch (Exception retryEx)
            {
                state.State = before;
                return NotStored(retryEx);
            }
        }
        catch (Exception ex)
        {
            // Not durable, so not counted: memory goes back to what storage holds.
            state.State = before;
            return NotStored(ex);
        }

        var color = state.State.Color;
        BallMetrics.Visits.Add(1, BallMetrics.ColorTag(color.Name()));
        observer.OnVisitStored(this.GetPrimaryKeyString(), state.State);
        return new VisitResult(View());
    }

    public Task<VisitResult> PeekAsync() =>
        Task.FromResult(IsKnown ? new VisitResult(View()) : VisitResult.Unknown);

    public Task<VisitorState?> GetStateAsync() =>
        Task.FromResult(IsKnown ? Copy(state.State) : null);

    private async Task WriteAsync()
    {
        var started = Stopwatch.GetTimestamp();
        await state.WriteStateAsync();
        BallMetrics.StorageWriteLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private VisitResult NotStored(Exception ex)
    {
        // The caller answers 503 and the visitor reloads; the message is enough to see why
        // (the stack adds nothing when the database is simply down, and there may be many).
        logger.LogWarning("Visit of {VisitorId} not stored: {Reason}", this.GetPrimaryKeyString(), ex.Message);
        BallMetrics.VisitsNotStored.Add(1);
        return VisitResult.NotStored;
    }

    /// <summary>The view a visit with this id was answered, when it is among the last few counted.</summary>
    private VisitorView? AlreadyCounted(Guid requestId)
    {
        if (!IsKnown)
        {
            return null;
        }

        var recent = state.State.RecentRequests;
        var index = recent.LastIndexOf(requestId);
        if (index < 0)
        {
            return null;
        }

        var s = state.State;
        return new VisitorView(s.Color, s.ViewsOf(s.Color) - (recent.Count - 1 - index), s.FirstSeen);
    }

    private void CountView(DateTimeOffset now, Guid requestId)
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
        s.RecentRequests.Add(requestId);
        if (s.RecentRequests.Count > RecentRequestLimit)
        {
            s.RecentRequests.RemoveRange(0, s.RecentRequests.Count - RecentRequestLimit);
        }
    }

    private VisitorView View() => new(state.State.Color, state.State.ViewsOf(state.State.Color), state.State.FirstSeen);

    private static VisitorState Copy(VisitorState s) => new()
    {
        Color = s.Color,
        RedViews = s.RedViews,
        BlueViews = s.BlueViews,
        FirstSeen = s.FirstSeen,
        LastSeen = s.LastSeen,
        RecentRequests = [.. s.RecentRequests],
    };
}
