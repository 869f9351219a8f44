using BallOrleans.Grains.Diagnostics;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Storage;

namespace BallOrleans.Grains.Visitors;

/// <summary>
/// Writes a new visitor's first visit straight to the visitors' storage, in the row their
/// <see cref="VisitorGrain"/> will read on the second visit. A stateless worker with one
/// activation per key and silo, reentrant; callers spread first visits over
/// <see cref="IFirstVisitGrain.Spread"/> keys. Its first visits join the storage's batches like any write.
/// </summary>
/// <remarks>
/// Why not activate the visitor's grain: most visitors come once, and an activation (placement,
/// directory entry, scheduler, collection two minutes later) cost more CPU than the rest of a
/// first visit together, and memory for nothing. A just-minted 128-bit id has no row and no
/// activation, so nothing can race this write but a retry of it; the insert then finds the row,
/// and the visitor's own grain answers from it (it knows the request id, so it counts nothing twice).
/// </remarks>
[StatelessWorker(1), Reentrant]
public sealed class FirstVisitGrain(
    [FromKeyedServices(StorageNames.Visitors)] IGrainStorage storage,
    ColorAssignment assignment,
    TimeProvider clock,
    ILogger<FirstVisitGrain> logger) : Grain, IFirstVisitGrain
{
    public async Task<VisitOutcome> VisitAsync(string visitorId, BrowserFamily? browser, VisitAttempt attempt)
    {
        var visitor = GrainFactory.GetGrain<IVisitorGrain>(visitorId);
        var now = clock.GetUtcNow();
        var state = VisitorState.New(assignment.ColorFor(visitorId), now, browser);
        state.CountView(now, attempt.RequestId);
        try
        {
            await storage.WriteVisitorAsync(visitor.GetGrainId(), new GrainState<VisitorState>(state));
        }
        catch (InconsistentStateException)
        {
            // The row exists: an earlier attempt of this visit was stored (its answer was lost).
            return await visitor.VisitAsync(attempt);
        }
        catch (CommitOutcomeUnknownException ex)
        {
            // A retry finds the row if it was stored, and the visitor's grain answers it then.
            logger.LogWarning("First visit of {Visitor} may or may not be stored: {Reason}", LogName(visitorId), LogRedaction.Redact(ex.InnerException?.Message));
            return new VisitOutcome.Unknown();
        }
        catch (Exception ex)
        {
            logger.LogWarning("First visit of {Visitor} not stored: {Reason}", LogName(visitorId), LogRedaction.Redact(ex.Message));
            BallMetrics.VisitsNotCounted.Add(1);
            return new VisitOutcome.NotCounted();
        }

        BallMetrics.Visits.Add(1, BallMetrics.ColorTag(state.Color.Name()));
        return new VisitOutcome.Counted(state.View());
    }

    // By pseudonym, never the raw id (see VisitorGrain).
    private string LogName(string visitorId) => ServiceProvider.GetRequiredService<Privacy.VisitorPseudonymKey>().ForLogs(visitorId);
}
