using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace BallOrleans.Tests.Visitors;

/// <summary>Visits as the web tier makes them (first visits through <see cref="IFirstVisitGrain"/>), and the stored state read back.</summary>
internal static class Visits
{
    /// <summary>A new visitor's first visit, stored as production stores it; returns the view it counted.</summary>
    public static async Task<VisitorView> FirstVisitAsync(this IGrainFactory grains, string visitorId, Guid? requestId = null, BrowserFamily? browser = null) =>
        (await grains.GetGrain<IFirstVisitGrain>(0).VisitAsync(visitorId, browser, new VisitAttempt(requestId ?? VisitRequestId.New()))).CountedView();

    /// <summary>A returning visit's attempt with <paramref name="requestId"/>.</summary>
    public static Task<VisitOutcome> VisitAsync(this IVisitorGrain visitor, Guid requestId, long soleAttemptUntil = 0) =>
        visitor.VisitAsync(new VisitAttempt(requestId, soleAttemptUntil));

    /// <summary>A returning visit, counted: its view (fails the test otherwise).</summary>
    public static async Task<VisitorView> CountAsync(this IVisitorGrain visitor, Guid? requestId = null) =>
        (await visitor.VisitAsync(requestId ?? VisitRequestId.New())).CountedView();

    public static VisitorView CountedView(this VisitOutcome outcome) =>
        outcome is VisitOutcome.Counted counted ? counted.View : throw new Xunit.Sdk.XunitException($"expected a counted visit, got {outcome}");

    /// <summary>The visitor's stored state, read through the silo's visitor storage; null when there is none.</summary>
    public static async Task<VisitorState?> StoredStateAsync(this InProcessTestCluster cluster, string visitorId)
    {
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Visitors);
        var state = new GrainState<VisitorState>();
        await storage.ReadStateAsync(StorageNames.VisitorState, GrainId.Create("visitor", visitorId), state);
        return state.RecordExists && state.State is { FirstSeen.Ticks: > 0 } stored ? stored : null;
    }
}
