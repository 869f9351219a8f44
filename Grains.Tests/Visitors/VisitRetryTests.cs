using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Visitors;

/// <summary>A visit retried with the same request id (its first answer was lost) is counted once.</summary>
public abstract class VisitRetryTests(PostgresServer postgres, string storage)
{
    public sealed class Grouped(PostgresServer postgres) : VisitRetryTests(postgres, VisitorStorageOptions.Grouped), IClassFixture<PostgresServer>;

    public sealed class AdoNet(PostgresServer postgres) : VisitRetryTests(postgres, VisitorStorageOptions.AdoNet), IClassFixture<PostgresServer>;

    [Fact]
    public async Task A_retried_visit_answers_the_same_view_and_counts_once()
    {
        var database = await postgres.CreateDatabaseAsync("retry");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();

        var a = (await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), first));
        var b = (await visitor.CountAsync(second));
        var firstAgain = (await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), first));
        var secondAgain = (await visitor.CountAsync(second));

        Assert.Equal([1L, 2L, 1L, 2L], [a.Views, b.Views, firstAgain.Views, secondAgain.Views]);
        Assert.Equal(2, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task A_retry_reaching_a_new_activation_after_a_restart_counts_once()
    {
        var database = await postgres.CreateDatabaseAsync("retryrestart");
        var id = VisitorId.NewId();
        var request = Guid.NewGuid();
        await using (var cluster = await TestClusters.StartAsync(database, storage: storage))
        {
            var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
            await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), Guid.NewGuid());
            Assert.Equal(2, (await visitor.CountAsync(request)).Views);
            await cluster.StopAllSilosAsync();
        }

        await using var restarted = await TestClusters.StartAsync(database, storage: storage);
        var retried = (await restarted.Client.GetGrain<IVisitorGrain>(id).CountAsync(request));

        Assert.Equal(2, retried.Views);
        Assert.Equal(2, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task A_retry_whose_first_attempt_another_activation_wrote_is_not_counted_again()
    {
        var database = await postgres.CreateDatabaseAsync("retryetag");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        var color = (await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), Guid.NewGuid())).Color;
        var lost = Guid.NewGuid();

        // The first attempt of visit `lost` reached another activation (on a silo that then died),
        // which counted and wrote it: this activation's ETag is now stale and its memory lacks it.
        await VisitorGrainTests.ExecuteAsync(database, """
            UPDATE ball_grain_state t
            SET version = t.version + 1,
                payload = convert_to(jsonb_set(jsonb_set(s.j, ARRAY[@col::text], to_jsonb((s.j->>@col::text)::bigint + 1)),
                                               '{q}', (s.j->'q') || to_jsonb(@req::text))::text, 'UTF8')
            FROM (SELECT convert_from(payload, 'UTF8')::jsonb AS j FROM ball_grain_state WHERE grain_key = @id) s
            WHERE t.grain_key = @id
            """, ("id", id), ("col", color == BallColor.Red ? "r" : "b"), ("req", lost.ToString()));

        var retried = (await visitor.CountAsync(lost));

        Assert.Equal(2, retried.Views);
        Assert.Equal(2, await VisitorGrainTests.StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task A_late_attempt_of_a_visit_counted_and_since_forgotten_is_unconfirmed_and_not_counted()
    {
        var database = await postgres.CreateDatabaseAsync("retrylate");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(VisitorId.NewId());
        var began = DateTimeOffset.UtcNow;
        var late = Guid.CreateVersion7(began);
        await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), late);
        // The visitor goes on visiting (a retry of `late` was counted; its first attempt sits in
        // a frozen silo's queue) until its id leaves the list.
        for (var i = 1; i <= VisitorState.RecentRequestLimit; i++)
        {
            await visitor.VisitAsync(Guid.CreateVersion7(began.AddMilliseconds(i)));
        }

        var answer = await visitor.VisitAsync(late);

        Assert.IsType<VisitOutcome.Unknown>(answer);
        Assert.Equal(VisitorState.RecentRequestLimit + 1, (await visitor.PeekAsync())!.Views);
        Assert.Equal(VisitorState.RecentRequestLimit + 1, await VisitorGrainTests.StoredViewsAsync(database, visitor.GetPrimaryKeyString()));
    }

    [Fact]
    public async Task Visits_that_began_together_are_each_counted_in_any_order_while_their_callers_still_wait()
    {
        var database = await postgres.CreateDatabaseAsync("retryburst");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(VisitorId.NewId());
        var began = DateTimeOffset.UtcNow;
        var burst = Enumerable.Range(0, 3 * VisitorState.RecentRequestLimit).Select(i => Guid.CreateVersion7(began.AddMilliseconds(i))).ToList();
        var stillWaiting = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds();
        await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), VisitRequestId.New());

        // Served latest first: each began before the ones already counted and forgotten.
        var views = new List<long>();
        foreach (var request in Enumerable.Reverse(burst))
        {
            views.Add((await visitor.VisitAsync(request, soleAttemptUntil: stillWaiting)).CountedView().Views);
        }

        Assert.Equal(Enumerable.Range(2, burst.Count).Select(v => (long)v), views);
        // The same attempt again, once its caller may have sent another: not counted twice.
        Assert.IsType<VisitOutcome.Unknown>(await visitor.VisitAsync(burst[^1]));
        Assert.Equal(burst.Count + 1, await VisitorGrainTests.StoredViewsAsync(database, visitor.GetPrimaryKeyString()));
    }

    [Fact]
    public async Task Only_the_last_few_request_ids_are_kept()
    {
        var database = await postgres.CreateDatabaseAsync("retrylimit");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(VisitorId.NewId());
        var requests = Enumerable.Range(0, VisitorState.RecentRequestLimit + 3).Select(_ => Guid.NewGuid()).ToList();
        await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), requests[0]);
        foreach (var request in requests.Skip(1))
        {
            await visitor.VisitAsync(request);
        }

        var state = (await cluster.StoredStateAsync(visitor.GetPrimaryKeyString()))!;

        Assert.Equal(requests.TakeLast(VisitorState.RecentRequestLimit), state.RecentRequests);
        Assert.Equal(requests.Count, state.TotalViews);
    }
}
