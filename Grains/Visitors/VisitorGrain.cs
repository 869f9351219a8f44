using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
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
/// The grain owns its storage: it holds the state itself and calls the visitor storage (grouped
/// batches by default, see docs/architecture.md) directly, without the <c>[PersistentState]</c>
/// facet. That lets the first visit of a just-minted id skip the read (the caller says so with
/// <c>firstVisit</c>), and saves the facet's memory in every activation.
/// Idle visitors leave memory after two minutes (Orleans' default is fifteen): most visitors come
/// once, and a reload within minutes still finds the grain.
/// </remarks>
[CollectionAgeLimit(Minutes = 2)]
public sealed class VisitorGrain(
    [FromKeyedServices(StorageNames.Visitors)] IGrainStorage storage,
    VisitorEraser eraser,
    ColorAssignment assignment,
    TimeProvider clock,
    ILogger<VisitorGrain> logger) : Grain, IVisitorGrain
{
    private readonly GrainState<VisitorState> _state = new(new VisitorState());

    // Whether _state holds what storage holds: false until the first read (or a first visit's
    // skipped read), and again after a read failed.
    private bool _loaded;

    private VisitorState State
    {
        get => _state.State!;
        set => _state.State = value;
    }

    // A record without a first-seen time was cleared, or never written: the visitor is unknown.
    private bool IsKnown => _state.RecordExists && State.FirstSeen != default;

    public async Task<VisitResult> VisitAsync(bool firstVisit, Guid requestId, BrowserFamily? browser = null, long soleAttemptUntil = 0)
    {
        if (requestId == Guid.Empty)
        {
            // A caller that never retries; still listed, so every counted view has its id and
            // the arithmetic in VisitorState.ViewOf holds.
            requestId = VisitRequestId.New();
        }

        if (!_loaded)
        {
            // A just-minted 128-bit id has no row: no read. If it does have one after all (a
            // retry of a first visit whose answer was lost), the insert finds it and we reload below.
            try
            {
                if (!firstVisit)
                {
                    await ReadAsync();
                }

                _loaded = true;
            }
            catch (Exception ex)
            {
                return NotStored(ex);
            }
        }

        if (Answered(requestId, soleAttemptUntil) is { } answered)
        {
            return answered;
        }

        if (!IsKnown && !firstVisit)
        {
            // An id we never minted (or forgot): store nothing, and don't keep it in memory.
            DeactivateOnIdle();
            return VisitResult.Unknown;
        }

        var now = clock.GetUtcNow();
        var before = State.Copy();
        try
        {
            CountView(now, requestId, browser);
            await WriteAsync();
        }
        catch (InconsistentStateException ex)
        {
            // Someone else wrote this visitor since we read it: a duplicate activation during a
            // partition, an earlier attempt of this very visit whose answer was lost, the minted
            // id that had a row, or a repair by hand. Their write is the truth: reload, and count
            // on top unless it already decides this visit.
            logger.LogWarning("Visitor {VisitorId} changed under us ({Reason}); reloading", this.GetPrimaryKeyString(), ex.Message);
            try
            {
                await ReadAsync();
                if (Answered(requestId, soleAttemptUntil) is { } decided)
                {
                    return decided;
                }

                before = State.Copy();
                CountView(now, requestId, browser);
                await WriteAsync();
            }
            catch (Exception retryEx)
            {
                return NotWritten(retryEx, before);
            }
        }
        catch (Exception ex)
        {
            return NotWritten(ex, before);
        }

        BallMetrics.Visits.Add(1, BallMetrics.ColorTag(State.Color.Name()));
        return new VisitResult(View());
    }

    public async Task<bool> ForgetAsync(ErasureReason reason)
    {
        // Not through the storage's ClearStateAsync, which keeps the row with no payload (as the
        // ADO.NET provider does): forgetting leaves no row. One statement in either storage mode.
        var erased = await eraser.EraseAsync(this.GetPrimaryKeyString(), reason);
        _state.State = new VisitorState();
        _state.ETag = null;
        _state.RecordExists = false;
        _loaded = true;
        DeactivateOnIdle();
        return erased;
    }

    public async Task<VisitResult> PeekAsync()
    {
        await EnsureLoadedAsync();
        return IsKnown ? new VisitResult(View()) : VisitResult.Unknown;
    }

    public async Task<VisitorState?> GetStateAsync()
    {
        await EnsureLoadedAsync();
        return IsKnown ? State.Copy() : null;
    }

    private async Task EnsureLoadedAsync()
    {
        if (!_loaded)
        {
            await ReadAsync();
            _loaded = true;
        }
    }

    private Task ReadAsync() => storage.ReadStateAsync(StorageNames.VisitorState, this.GetGrainId(), _state);

    private Task WriteAsync() => storage.WriteAsync(this.GetGrainId(), _state);

    /// <summary>
    /// A write failed: memory goes back to <paramref name="before"/>. Not stored, unless the commit
    /// went out and its answer was lost: then PostgreSQL may hold the visit, and the next visit
    /// reads it back rather than guess.
    /// </summary>
    private VisitResult NotWritten(Exception ex, VisitorState before)
    {
        State = before;
        if (ex is not CommitOutcomeUnknownException)
        {
            return NotStored(ex);
        }

        _loaded = false;
        logger.LogWarning("Visit of {VisitorId} may or may not be stored: {Reason}", this.GetPrimaryKeyString(), ex.InnerException?.Message);
        return VisitResult.Unconfirmed;
    }

    private VisitResult NotStored(Exception ex)
    {
        // The caller answers 503 and the visitor reloads; the message is enough to see why
        // (the stack adds nothing when the database is simply down, and there may be many).
        logger.LogWarning("Visit of {VisitorId} not stored: {Reason}", this.GetPrimaryKeyString(), ex.Message);
        BallMetrics.VisitsNotStored.Add(1);
        return VisitResult.NotStored;
    }

    /// <summary>
    /// The answer for a visit this visitor's stored state already decides: the view it was shown,
    /// when it is among the last few counted; or unconfirmed, when it began before one that has
    /// left that list and another attempt of it may exist (a late attempt of a visit a retry
    /// counted elsewhere: counting it would count it twice). Null for a visit to count now.
    /// </summary>
    /// <remarks>
    /// An attempt whose caller is still waiting for it (<paramref name="soleAttemptUntil"/> not yet
    /// passed) is the visit's only one, so it was never counted: it counts even when it began before
    /// a forgotten one, which is common when one visitor's requests arrive at once (they are served
    /// in any order). Judged by this silo's clock against the caller's: a silo whose clock is behind
    /// could take a stale attempt for a live one, by as long as it is behind; one ahead only doubts more.
    /// </remarks>
    private VisitResult? Answered(Guid requestId, long soleAttemptUntil)
    {
        if (!IsKnown)
        {
            return null;
        }

        if (State.ViewOf(requestId) is { } view)
        {
            return new VisitResult(view);
        }

        if (!State.MayHaveCounted(requestId))
        {
            return null;
        }

        var sole = soleAttemptUntil > 0 && clock.GetUtcNow().ToUnixTimeMilliseconds() <= soleAttemptUntil;
        return sole ? null : VisitResult.Unconfirmed;
    }

    private void CountView(DateTimeOffset now, Guid requestId, BrowserFamily? browser)
    {
        if (!IsKnown)
        {
            State = VisitorState.New(assignment.ColorFor(this.GetPrimaryKeyString()), now, browser);
        }

        State.CountView(now, requestId);
    }

    private VisitorView View() => State.View();
}
