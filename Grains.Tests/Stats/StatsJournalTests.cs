using BallOrleans.Grains.Privacy;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Privacy;
using BallOrleans.Tests.Visitors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BallOrleans.Tests.Stats;

/// <summary>
/// The stats journal (010) and its fold: every journal row is folded exactly once, whatever order
/// the writes committed in and whoever crashed, and the aggregates it leaves equal the visitor rows.
/// </summary>
public sealed class StatsJournalTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string TotalsSql = "SELECT coalesce(sum(visitors), 0) || '/' || coalesce(sum(views), 0) FROM ball_report_totals";
    private const string JournalRowsSql = "SELECT count(*) FROM ball_stats_journal";

    [Fact]
    public async Task Rows_committed_out_of_id_order_are_each_folded_exactly_once()
    {
        var database = await MigratedAsync("journal_order");
        var (a, b) = (VisitorId.NewId(), VisitorId.NewId());
        var now = DateTimeOffset.UtcNow;

        // A writes and takes its journal id, but does not commit yet.
        await using var held = new NpgsqlConnection(database);
        await held.OpenAsync();
        await using var transaction = await held.BeginTransactionAsync();
        await StatsBooks.WriteAsync(held, transaction, a, StatsBooks.State(BallColor.Red, 3, now, now));
        long idOfA;
        await using (var command = new NpgsqlCommand("SELECT max(id) FROM ball_stats_journal", held, transaction))
        {
            idOfA = (long)(await command.ExecuteScalarAsync())!;
        }

        // B takes a later id, commits, and is folded while A's row is still in flight.
        await StatsBooks.WriteAsync(database, b, StatsBooks.State(BallColor.Blue, 5, now, now));
        Assert.True(await StoredVisitors.ScalarAsync(database, "SELECT max(id) FROM ball_stats_journal") > idOfA);
        await StoredVisitors.FoldAsync(database);
        Assert.Equal("1/5", await StoredVisitors.ScalarTextAsync(database, TotalsSql));

        // A commits after a row with a higher id was folded: the next fold sees it all the same.
        await transaction.CommitAsync();
        Assert.Equal(1, await StoredVisitors.ScalarAsync(database, JournalRowsSql));
        await StoredVisitors.FoldAsync(database);
        Assert.Equal("2/8", await StoredVisitors.ScalarTextAsync(database, TotalsSql));

        // Nothing is left to fold twice.
        await StoredVisitors.FoldAsync(database);
        Assert.Equal("2/8", await StoredVisitors.ScalarTextAsync(database, TotalsSql));
        Assert.Equal(0, await StoredVisitors.ScalarAsync(database, JournalRowsSql));
        await StatsBooks.AssertBalancedAsync(database);
    }

    [Fact]
    public async Task A_fold_that_dies_before_its_commit_loses_nothing_and_the_next_fold_counts_each_row_once()
    {
        var database = await MigratedAsync("journal_crash");
        var now = DateTimeOffset.UtcNow;
        foreach (var (color, views) in new[] { (BallColor.Red, 2L), (BallColor.Blue, 4L), (BallColor.Red, 1L) })
        {
            await StatsBooks.WriteAsync(database, VisitorId.NewId(), StatsBooks.State(color, views, now, now));
        }

        // A folder deletes the journal and moves the aggregates, then its process dies before the commit.
        await using (var folder = new NpgsqlConnection(database))
        {
            await folder.OpenAsync();
            await using var transaction = await folder.BeginTransactionAsync();
            await using (var fold = new NpgsqlCommand("SELECT ball_stats_fold(true)", folder, transaction))
            {
                Assert.Equal(3L, await fold.ExecuteScalarAsync());
            }

            Assert.Equal(1, await StoredVisitors.ScalarAsync(database, $"SELECT count(*) FROM pg_terminate_backend({folder.ProcessID})"));
        }

        // Its deletes and upserts went with it: the journal still holds every write, the totals none.
        Assert.Equal(3, await StoredVisitors.ScalarAsync(database, JournalRowsSql));
        Assert.Equal("0/0", await StoredVisitors.ScalarTextAsync(database, TotalsSql));
        await StoredVisitors.FoldAsync(database);
        Assert.Equal("3/7", await StoredVisitors.ScalarTextAsync(database, TotalsSql));
        await StatsBooks.AssertBalancedAsync(database);
    }

    [Fact]
    public async Task Visits_answered_before_a_silo_dies_are_folded_by_another_silo()
    {
        var database = await postgres.CreateDatabaseAsync("journal_silo_dies");
        await using var cluster = await TestClusters.StartAsync(database, silos: 2, settings: FastFolds);
        await StoredVisitors.LoadAsync(cluster.Client, visitors: 100, seed: 5);
        await cluster.KillSiloAsync(cluster.Silos[1]);
        await StoredVisitors.LoadAsync(cluster.Client, visitors: 20, seed: 6);

        // No fold by the test: the surviving silo's folds catch up with every answered visit.
        var expected = await StoredVisitors.SumAsync(database);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await StoredVisitors.ScalarAsync(database, JournalRowsSql) > 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "the journal was not folded within 10 s");
            await Task.Delay(50);
        }

        Assert.Equal(expected, await StoredVisitors.TotalsAsync(database));
        Assert.Equal(120, expected.RedVisitors + expected.BlueVisitors);
    }

    [Fact]
    [Trait(TestSpeed.Trait, TestSpeed.Slow)]
    public async Task After_visits_and_erasures_at_once_the_aggregates_equal_the_rows_and_none_was_ever_negative()
    {
        var database = await postgres.CreateDatabaseAsync("journal_mixed");
        await using var cluster = await TestClusters.StartAsync(database, settings: FastFolds);
        var eraser = cluster.GetSiloServiceProvider(cluster.Silos[0].SiloAddress).GetRequiredService<VisitorEraser>();
        var ids = await StoredVisitors.LoadAsync(cluster.Client, visitors: 200, seed: 7);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var negatives = new List<string>();
        var watching = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await StoredVisitors.ScalarTextAsync(database, NegativeSql) is { } found)
                {
                    negatives.Add(found);
                }

                await Task.Delay(20);
            }
        });
        var visiting = Task.Run(async () =>
        {
            var random = new Random(8);
            while (!stop.IsCancellationRequested)
            {
                // Returning visitors (erased ones answer unknown and count nothing) and new ones.
                var id = ids[random.Next(ids.Count)];
                await cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(Guid.CreateVersion7());
                await cluster.Client.FirstVisitAsync(VisitorId.NewId(), Guid.NewGuid());
            }
        });
        var erasing = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < ids.Count; i += 10)
            {
                await eraser.EraseAsync([.. ids.Skip(i).Take(3)], null, i % 20 == 0 ? ErasureReason.Forget : ErasureReason.Admin);
                await Task.Delay(100);
            }
        });
        await Task.WhenAll(visiting, erasing);
        await stop.CancelAsync();
        await watching;

        Assert.True(negatives.Count == 0, string.Join("\n", negatives));
        await StatsBooks.AssertBalancedAsync(database);
        // The books: everything assigned either remains or was erased.
        Assert.Equal(0, await StoredVisitors.ScalarAsync(database, StoredResidualSql));
        Assert.True(await StoredVisitors.ScalarAsync(database, "SELECT coalesce(sum(visitors), 0) FROM ball_stats_erased") > 0, "nothing was erased");
    }

    private static readonly Dictionary<string, string?> FastFolds = new()
    {
        [$"{StatsOptions.Section}:{nameof(StatsOptions.FoldMilliseconds)}"] = "100",
    };

    // Any aggregate below zero, summed over its shards as readers read it; NULL when none is.
    private const string NegativeSql = """
        SELECT string_agg(what, ', ') FROM (
            SELECT 'total ' || color AS what FROM ball_report_totals GROUP BY color HAVING sum(visitors) < 0 OR sum(views) < 0
            UNION ALL
            SELECT 'day ' || day || ' ' || color FROM ball_stats_daily GROUP BY day, color HAVING sum(visitors) < 0 OR sum(views) < 0
            UNION ALL
            SELECT 'minute ' || minute || ' ' || color FROM ball_visits_per_minute GROUP BY minute, color HAVING sum(visits) < 0
            UNION ALL
            SELECT 'assigned ' || color FROM ball_stats_assigned GROUP BY color HAVING sum(visitors) < 0 OR sum(views) < 0
            UNION ALL
            SELECT 'erased ' || color FROM ball_stats_erased GROUP BY color HAVING sum(visitors) < 0 OR sum(views) < 0) n
        """;

    // assigned - erased - remaining, visitors and views, both colors: 0 while the books are whole.
    private const string StoredResidualSql = """
        SELECT abs(a.visitors - e.visitors - r.visitors) + abs(a.views - e.views - r.views)
        FROM (SELECT coalesce(sum(visitors), 0) AS visitors, coalesce(sum(views), 0) AS views FROM ball_stats_assigned) a,
             (SELECT coalesce(sum(visitors), 0) AS visitors, coalesce(sum(views), 0) AS views FROM ball_stats_erased) e,
             (SELECT coalesce(sum(visitors), 0) AS visitors, coalesce(sum(views), 0) AS views FROM ball_report_totals) r
        """;

    // Migrated by its owner, handed out as the runtime role (PostgresServer).
    private Task<string> MigratedAsync(string name) => postgres.CreateDatabaseAsync(name);
}
