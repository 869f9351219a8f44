using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BallOrleans.Tests.Stats;

public sealed class VisitQueueTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Keeps_only_the_latest_snapshot_of_each_visitor()
    {
        var queue = NewQueue(capacity: 1000);

        queue.Add(Snapshot("a", views: 1));
        queue.Add(Snapshot("a", views: 3));
        queue.Add(Snapshot("a", views: 2)); // a late, older snapshot never replaces a newer one
        queue.Add(Snapshot("b", views: 1));

        var batch = queue.Drain().OrderBy(s => s.VisitorId).ToList();
        Assert.Equal(["a", "b"], batch.Select(s => s.VisitorId));
        Assert.Equal(3, batch[0].Views);
        Assert.Empty(queue.Drain());
    }

    [Fact]
    public void A_full_queue_still_updates_queued_visitors_but_takes_no_new_ones()
    {
        var queue = NewQueue(capacity: 1000);
        for (var i = 0; i < 1000; i++)
        {
            queue.Add(Snapshot($"v{i}", views: 1));
        }

        queue.Add(Snapshot("newcomer", views: 1));
        queue.Add(Snapshot("v7", views: 5));

        var batch = queue.Drain();
        Assert.Equal(1000, batch.Length);
        Assert.DoesNotContain(batch, s => s.VisitorId == "newcomer");
        Assert.Equal(5, batch.Single(s => s.VisitorId == "v7").Views);
    }

    [Fact]
    public void A_requeued_batch_does_not_overwrite_newer_visits()
    {
        var queue = NewQueue(capacity: 1000);
        queue.Add(Snapshot("a", views: 1));
        var failed = queue.Drain();
        queue.Add(Snapshot("a", views: 2));

        queue.Requeue(failed);

        Assert.Equal(2, Assert.Single(queue.Drain()).Views);
    }

    private static VisitQueue NewQueue(int capacity) =>
        new(Options.Create(new StatsOptions { MaxQueuedVisitors = capacity }), NullLogger<VisitQueue>.Instance);

    private static VisitorSnapshot Snapshot(string id, long views) =>
        new(id, BallColor.Red, views, 0, Start, Start.AddSeconds(views));
}
