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
/// facet, which saves the facet's memory in every activation. Only returning visitors come here:
/// a new visitor's first visit is stored by <see cref="FirstVisitGrain"/>, so an id without a row
/// is one we never minted, or one that was erased.
/// Idle visitors leave memory after two minutes (Orleans' default is fifteen): most visitors come
/// once, and a reload within minutes still finds the grain.
/// </remarks>
[CollectionAgeLimit(Minutes = 2)]
public sealed class VisitorGrain(
    [FromKeyedServices(StorageNames.Visitors)] IGrainStorage storage,
    VisitorEraser eraser,
    TimeProvider clock,
    ILogger<VisitorGrain> logger) : Grain, IVisitorGrain
{
    private readonly GrainState<VisitorState> _state = new(new VisitorState());

    // Whether _state holds what storage holds: false until the first read, and again after a
    // commit whose outcome is unknown.
    private bool _loaded;

    // Whether everything _state holds is known to be durable: true after this activation's own
    // write succeeded, false after a read (which may return a commit not yet on any standby).
    private bool _confirmed;

    private VisitorState State
    {
        get => _state.State!;
        set => _state.State = value;
    }

    // Logs name the visitor by pseudonym: the raw id is the grain key, and forget-me never reaches logs.
    private string LogName => ServiceProvider.GetRequiredService<VisitorPseudonymKey>().ForLogs(this.GetPrimaryKeyString());

    // A record without a first-seen time was cleared, or never written: the visitor is unknown.
    private bool IsKnown => _state.RecordExists && State.FirstSeen != default;

    public async Task<VisitOutcome> VisitAsync(VisitAttempt attempt)
    {
        if (!_loaded)
        {
            try
            {
                await ReadAsync();
                _loaded = true;
            }
            catch (Exception ex)
            {
                return NotCounted(ex);
            }
        }

        if (Decided(attempt) is { } answered)
        {
            return await ConfirmedAsync(answered);
        }

        var now = clock.GetUtcNow();
        var before = State.Copy();
        try
        {
            State.CountView(now, attempt.RequestId);
            await WriteAsync();
        }
        catch (InconsistentStateException ex)
        {
            // Someone else wrote this visitor since we read it: a duplicate activation during a
            // partition, an earlier attempt of this very visit whose answer was lost, an erasure,
            // or a repair by hand. Their write is the truth: reload, and count on top unless it
            // already decides this visit (an erased visitor stays erased). Not one of the storage's
            // retry pipelines (Storage/DatabaseRetries.cs): what goes out next is a new write, of
            // the state read back, and perhaps none at all; not this one sent again.
            logger.LogWarning("Visitor {Visitor} changed under us ({Reason}); reloading", LogName, LogRedaction.Redact(ex.Message));
            try
            {
                await ReadAsync();
                if (Decided(attempt) is { } decided)
                {
                    return await ConfirmedAsync(decided);
                }

                before = State.Copy();
                State.CountView(now, attempt.RequestId);
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
        return new VisitOutcome.Counted(View());
    }

    public async Task<ErasureOutcome> ForgetAsync(ErasureReason reason)
    {
        // Not through the storage's ClearStateAsync, which keeps the row with no payload (as the
        // ADO.NET provider does): forgetting leaves no row. One statement in either storage mode.
        bool erased;
        try
        {
            erased = await eraser.EraseAsync(this.GetPrimaryKeyString(), reason);
        }
        catch (CommitOutcomeUnknownException ex)
        {
            // The row may be gone or not: what this activation holds is no longer known to be
            // what storage holds. The caller erases again to find out; a visit meanwhile reads first.
            _loaded = false;
            logger.LogWarning("Erasure of {Visitor} may or may not be done: {Reason}", LogName, LogRedaction.Redact(ex.InnerException?.Message));
            return ErasureOutcome.Unknown;
        }
        catch (Exception ex)
        {
            // An answer from the database (rolled back), or no connection at all: nothing changed.
            logger.LogWarning("Erasure of {Visitor} failed; nothing erased: {Reason}", LogName, LogRedaction.Redact(ex.Message));
            return ErasureOutcome.NotErased;
        }

        _state.State = new VisitorState();
        _state.ETag = null;
        _state.RecordExists = false;
        _loaded = true;
        DeactivateOnIdle();
        return erased ? ErasureOutcome.Erased : ErasureOutcome.NothingToErase;
    }

    public async Task<VisitorView?> PeekAsync()
    {
        await EnsureLoadedAsync();
        return IsKnown ? View() : null;
    }

    private async Task EnsureLoadedAsync()
    {
        if (!_loaded)
        {
            await ReadAsync();
            _loaded = true;
        }
    }

    private async Task ReadAsync()
    {
        _confirmed = false;
        await storage.ReadStateAsync(StorageNames.VisitorState, this.GetGrainId(), _state);
    }

    private async Task WriteAsync()
    {
        await storage.WriteVisitorAsync(this.GetGrainId(), _state);
        _confirmed = true;
    }

    /// <summary>
    /// <paramref name="decided"/>, once what it acknowledges is known to be durable. A view found
    /// in state read back from storage (a retry of a visit whose answer was lost) may stand on the
    /// primary alone: a commit whose wait for its synchronous standby was cancelled is kept there
    /// and visible to every reader. Committing the state again settles it: that commit returns only
    /// once a standby has flushed it, and with it everything written before.
    /// </summary>
    private async Task<VisitOutcome> ConfirmedAsync(VisitOutcome decided)
    {
        if (decided is not VisitOutcome.Counted || _confirmed)
        {
            return decided;
        }

        try
        {
            await WriteAsync();
            return decided;
        }
        catch (Exception ex)
        {
            _loaded = false;
            logger.LogWarning("Visit of {Visitor} was stored but could not be confirmed: {Reason}", LogName, LogRedaction.Redact(ex.Message));
            return new VisitOutcome.Unknown();
        }
    }

    /// <summary>
    /// A write failed: memory goes back to <paramref name="before"/>. Not stored, unless the commit
    /// went out and its answer was lost: then PostgreSQL may hold the visit, and the next visit
    /// reads it back rather than guess.
    /// </summary>
    private VisitOutcome NotWritten(Exception ex, VisitorState before)
    {
        State = before;
        if (ex is not CommitOutcomeUnknownException)
        {
            return NotCounted(ex);
        }

        _loaded = false;
        logger.LogWarning("Visit of {Visitor} may or may not be stored: {Reason}", LogName, LogRedaction.Redact(ex.InnerException?.Message));
        return new VisitOutcome.Unknown();
    }

    private VisitOutcome NotCounted(Exception ex)
    {
        // The caller answers 503 and the visitor reloads; the message is enough to see why
        // (the stack adds nothing when the database is simply down, and there may be many).
        logger.LogWarning("Visit of {Visitor} not stored: {Reason}", LogName, LogRedaction.Redact(ex.Message));
        BallMetrics.VisitsNotCounted.Add(1);
        return new VisitOutcome.NotCounted();
    }

    /// <summary>
    /// The answer for a visit this visitor's stored state already decides: unknown, when there is
    /// no visitor (never minted, or erased: checked again after every reload, so an erased visitor
    /// is never counted on a fresh state and stored again); the view it was shown, when it is among
    /// the last few counted; or unconfirmed, when it began before one that has left that list and
    /// another attempt of it may exist (a late attempt of a visit a retry counted elsewhere:
    /// counting it would count it twice). Null for a visit to count now.
    /// </summary>
    /// <remarks>
    /// An attempt whose caller is still waiting for it (<see cref="VisitAttempt.SoleAttemptUntil"/>
    /// not yet passed) is the visit's only one, so it was never counted: it counts even when it began
    /// before a forgotten one, which is common when one visitor's requests arrive at once (they are
    /// served in any order). Judged by this silo's clock against the caller's: a silo whose clock is
    /// behind could take a stale attempt for a live one, by as long as it is behind; one ahead only doubts more.
    /// </remarks>
    private VisitOutcome? Decided(VisitAttempt attempt)
    {
        if (!IsKnown)
        {
            // An id we never minted (or erased): store nothing, and don't keep it in memory.
            DeactivateOnIdle();
            return new VisitOutcome.UnknownVisitor();
        }

        if (State.ViewOf(attempt.RequestId) is { } view)
        {
            return new VisitOutcome.Counted(view);
        }

        if (!State.MayHaveCounted(attempt.RequestId))
        {
            return null;
        }

        var sole = attempt.SoleAttemptUntil > 0 && clock.GetUtcNow().ToUnixTimeMilliseconds() <= attempt.SoleAttemptUntil;
        return sole ? null : new VisitOutcome.Unknown();
    }

    private VisitorView View() => State.View();
}
