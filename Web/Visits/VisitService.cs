using BallOrleans.Grains.Visitors;

namespace BallOrleans.Web.Visits;

/// <summary>What a request for the ball page resolved to.</summary>
public sealed record PageVisit(BallColor Color, long Views, bool Counted, string? NewVisitorId);

/// <summary>
/// Turns a request into grain calls: a returning visitor's id goes to their grain; a missing,
/// mangled or unknown id gets a freshly minted visitor.
/// </summary>
public sealed class VisitService(IGrainFactory grains, ColorAssignment assignment)
{
    public async Task<PageVisit> VisitAsync(string? cookieId, bool counts)
    {
        if (!counts)
        {
            return await PeekAsync(cookieId);
        }

        if (cookieId is not null)
        {
            var returning = await grains.GetGrain<IVisitorGrain>(cookieId).VisitAsync(firstVisit: false);
            if (returning.View is { } view)
            {
                return new PageVisit(view.Color, view.Views, Counted: true, NewVisitorId: null);
            }
        }

        var id = VisitorId.NewId();
        // No row can exist yet, so the grain's activation may skip its read. The mark lives in
        // this method's async flow only: it ends when the method returns.
        MintedVisitor.Mark(id);
        var first = await grains.GetGrain<IVisitorGrain>(id).VisitAsync(firstVisit: true);
        var fresh = first.View ?? throw new InvalidOperationException("a first visit always has a view");
        return new PageVisit(fresh.Color, fresh.Views, Counted: true, NewVisitorId: id);
    }

    // Not counted: show what the visitor has, or what a newcomer would get, and store nothing.
    private async Task<PageVisit> PeekAsync(string? cookieId)
    {
        if (cookieId is not null && (await grains.GetGrain<IVisitorGrain>(cookieId).PeekAsync()).View is { } view)
        {
            return new PageVisit(view.Color, view.Views, Counted: false, NewVisitorId: null);
        }

        return new PageVisit(assignment.ColorFor(VisitorId.NewId()), 0, Counted: false, NewVisitorId: null);
    }
}
