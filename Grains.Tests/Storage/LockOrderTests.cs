using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Stats;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BallOrleans.Tests.Storage;

/// <summary>
/// Every writer of visitor rows and stats takes its locks in one order (docs/architecture.md), so
/// none can deadlock another: visits in batches that mix new and returning visitors, forget-me,
/// retention, the admin's delete by pseudonym and the rebuild, all at once for a minute.
/// </summary>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
[Collection(RunsAlone.Name)]
public sealed class LockOrderTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task All_writers_at_once_for_a_minute_cause_no_deadlock_and_no_failed_write()
    {
        var database = await postgres.CreateDatabaseAsync("lockorder");
        await using var cluster = await TestClusters.StartAsync(database);
        var services = cluster.GetSiloServiceProvider(cluster.Silos[0].SiloAddress);
        var eraser = services.GetRequiredService<VisitorEraser>();
        var pseudonyms = ActivatorUtilities.CreateInstance<VisitorPseudonyms>(services);  // the web tier's
        var pseudonymKey = services.GetRequiredService<VisitorPseudonymKey>();
        // rebuild-read-model is the owner's command: its function is closed to the runtime role.
        await using var ownerSource = NpgsqlDataSource.Create(postgres.AsOwner(database));
        var rebuild = new ReadModelFromGrainState(ownerSource);
        var deadlocksBefore = await StoredVisitors.ScalarAsync(database, DeadlocksQuery);

        // 600 visitors, each slot replaced by a new visitor once its visitor is erased.
        var pool = Enumerable.Range(0, 600).Select(_ => (Id: VisitorId.NewId(), Known: false)).ToArray();
        var gate = new object();
        (string Id, bool Known) Pick(Random random, out int slot)
        {
            slot = random.Next(pool.Length);
            lock (gate)
            {
                return pool[slot];
            }
        }

        void Renew(int slot, string id)
        {
            lock (gate)
            {
                if (pool[slot].Id == id)
                {
                    pool[slot] = (VisitorId.NewId(), false);
                }
            }
        }

        long visits = 0, notStored = 0, erasures = 0, rebuilds = 0;
        using var stop = new CancellationTokenSource(Duration);
        var visitors = Enumerable.Range(0, 48).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (!stop.IsCancellationRequested)
            {
                var (id, known) = Pick(random, out var slot);
                var attempt = new VisitAttempt(Guid.CreateVersion7());
                var outcome = await AsTheWebTierAsync(() => known
                    ? cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(attempt)
                    : cluster.Client.GetGrain<IFirstVisitGrain>(worker % IFirstVisitGrain.Spread).VisitAsync(id, null, attempt));
                Interlocked.Increment(ref visits);
                if (outcome is VisitOutcome.NotCounted)
                {
                    Interlocked.Increment(ref notStored);
                }
                else if (outcome is VisitOutcome.Counted)
                {
                    lock (gate)
                    {
                        if (pool[slot].Id == id)
                        {
                            pool[slot] = (id, true);
                        }
                    }
                }
                else if (outcome is VisitOutcome.UnknownVisitor)
                {
                    Renew(slot, id);  // erased meanwhile
                }
            }
        })).ToList();

        var random = new Random(99);
        var erasers = new List<Task>
        {
            Task.Run(async () =>  // forget me
            {
                while (!stop.IsCancellationRequested)
                {
                    var (id, _) = Pick(random, out var slot);
                    await cluster.Client.GetGrain<IVisitorGrain>(id).ForgetAsync(ErasureReason.Forget);
                    Renew(slot, id);
                    Interlocked.Increment(ref erasures);
                    await Task.Delay(20);
                }
            }),
            Task.Run(async () =>  // retention: a batch of expired visitors (here: any)
            {
                var batchRandom = new Random(7);
                while (!stop.IsCancellationRequested)
                {
                    var batch = Enumerable.Range(0, 20).Select(_ => Pick(batchRandom, out var slot) is var v ? (v.Id, slot) : default).ToList();
                    Interlocked.Add(ref erasures, await eraser.EraseAsync(batch.Select(b => b.Id).ToList(), DateTimeOffset.UtcNow.AddDays(1), ErasureReason.Retention));
                    batch.ForEach(b => Renew(b.slot, b.Id));
                    await Task.Delay(200);
                }
            }),
            Task.Run(async () =>  // the admin's delete by pseudonym
            {
                var adminRandom = new Random(8);
                while (!stop.IsCancellationRequested)
                {
                    var (id, _) = Pick(adminRandom, out var slot);
                    if (await pseudonyms.FindVisitorAsync(await pseudonymKey.PidOfAsync(id)) is { } found && await eraser.EraseAsync(found, ErasureReason.Admin))
                    {
                        Interlocked.Increment(ref erasures);
                        Renew(slot, id);
                    }

                    await Task.Delay(50);
                }
            }),
            Task.Run(async () =>  // the repair
            {
                while (!stop.IsCancellationRequested)
                {
                    await rebuild.RebuildAsync(TestClusters.ServiceId);
                    Interlocked.Increment(ref rebuilds);
                    await Task.Delay(3000);
                }
            }),
        };

        await Task.WhenAll(visitors.Concat(erasers));

        Assert.True(visits > 5000 && erasures > 100 && rebuilds > 5, $"too little happened: {visits} visits, {erasures} erasures, {rebuilds} rebuilds");
        Assert.Equal(0, notStored);
        Assert.Equal(deadlocksBefore, await DatabaseStatistics.SettledAsync(database, DeadlocksQuery,
            [.. cluster.Silos.Select(silo => silo.ServiceProvider.GetRequiredService<NpgsqlDataSource>()), ownerSource]));
        await StatsBooks.AssertBalancedAsync(database);
    }

    // A visit that meets its grain deactivating after a forget-me can be rejected by the runtime
    // ("forwarding failed ... after DeactivateOnIdle"); the web tier sends the same attempt again
    // (VisitService, ClusterFaults), and so does this test, or it would test the runtime's timing.
    private static async Task<VisitOutcome> AsTheWebTierAsync(Func<Task<VisitOutcome>> visit)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await visit();
            }
            catch (Exception ex) when (attempt < 5 && BallOrleans.Web.Visits.ClusterFaults.IsTransient(ex))
            {
                await Task.Delay(50);
            }
        }
    }

    private const string DeadlocksQuery = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()";
}
