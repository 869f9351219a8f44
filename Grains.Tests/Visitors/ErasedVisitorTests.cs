using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Visitors;

/// <summary>
/// An erased visitor stays erased: a grain holding an old copy of them (a silo that was frozen)
/// finds the row gone when it writes, and must not count the view on a fresh state.
/// </summary>
public abstract class ErasedVisitorTests(PostgresServer postgres, string storage)
{
    public sealed class Grouped(PostgresServer postgres) : ErasedVisitorTests(postgres, VisitorStorageOptions.Grouped), IClassFixture<PostgresServer>;

    public sealed class AdoNet(PostgresServer postgres) : ErasedVisitorTests(postgres, VisitorStorageOptions.AdoNet), IClassFixture<PostgresServer>;

    [Fact]
    public async Task An_old_attempt_waking_after_the_visitor_was_forgotten_stores_nothing()
    {
        var database = await postgres.CreateDatabaseAsync("erasedback");
        // Two clusters on one database: each holds its own activation of the visitor, as a frozen
        // silo and the rest of a cluster do until the frozen one is declared dead.
        await using var frozen = await TestClusters.StartAsync(database, storage: storage);
        await using var rest = await TestClusters.StartAsync(database, storage: storage);
        var id = VisitorId.NewId();
        await frozen.Client.FirstVisitAsync(id);
        var stale = frozen.Client.GetGrain<IVisitorGrain>(id);
        Assert.Equal(2, (await stale.CountAsync(VisitRequestId.New())).Views);

        // An attempt the frozen silo holds; its retry is counted by the rest of the cluster, where
        // the visitor then presses Forget.
        var attempt = VisitRequestId.New();
        var elsewhere = rest.Client.GetGrain<IVisitorGrain>(id);
        Assert.Equal(3, (await elsewhere.CountAsync(attempt)).Views);
        Assert.Equal(ErasureOutcome.Erased, await elsewhere.ForgetAsync(ErasureReason.Forget));

        // The frozen silo wakes and serves the old attempt, then a new visit with the old cookie.
        var woken = await stale.VisitAsync(attempt);
        var after = await frozen.Client.GetGrain<IVisitorGrain>(id).VisitAsync(VisitRequestId.New());

        Assert.IsType<VisitOutcome.UnknownVisitor>(woken);
        Assert.IsType<VisitOutcome.UnknownVisitor>(after);
        Assert.Null(await VisitorGrainTests.StoredViewsAsync(database, id));
    }
}
