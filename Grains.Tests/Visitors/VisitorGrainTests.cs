using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using Npgsql;

namespace BallOrleans.Tests.Visitors;

public abstract class VisitorGrainTests(PostgresServer postgres, string storage)
{
    public sealed class Grouped(PostgresServer postgres) : VisitorGrainTests(postgres, VisitorStorageOptions.Grouped), IClassFixture<PostgresServer>;

    public sealed class AdoNet(PostgresServer postgres) : VisitorGrainTests(postgres, VisitorStorageOptions.AdoNet), IClassFixture<PostgresServer>;

    [Fact]
    public async Task Returning_visitor_sees_the_same_color_with_exact_counts()
    {
        await using var cluster = await TestClusters.StartAsync(await postgres.CreateDatabaseAsync("returning"), storage: storage);
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(VisitorId.NewId());

        var first = (await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), Guid.NewGuid()));
        var second = (await visitor.CountAsync(Guid.NewGuid()));
        var third = (await visitor.CountAsync(Guid.NewGuid()));

        Assert.Equal([1L, 2L, 3L], [first.Views, second.Views, third.Views]);
        Assert.Equal(first.Color, second.Color);
        Assert.Equal(first.Color, third.Color);
    }

    [Fact]
    public async Task Color_and_counts_survive_a_silo_restart()
    {
        var database = await postgres.CreateDatabaseAsync("restart");
        var ids = Enumerable.Range(0, 20).Select(_ => VisitorId.NewId()).ToList();
        var before = new Dictionary<string, VisitorView>();
        await using (var cluster = await TestClusters.StartAsync(database, storage: storage))
        {
            foreach (var id in ids)
            {
                var grain = cluster.Client.GetGrain<IVisitorGrain>(id);
                await cluster.Client.FirstVisitAsync(grain.GetPrimaryKeyString(), Guid.NewGuid());
                before[id] = (await grain.CountAsync(Guid.NewGuid()));
            }

            await cluster.StopAllSilosAsync();
        }

        await using var restarted = await TestClusters.StartAsync(database, storage: storage);
        foreach (var id in ids)
        {
            var after = (await restarted.Client.GetGrain<IVisitorGrain>(id).CountAsync(Guid.NewGuid()));
            Assert.Equal(before[id].Color, after.Color);
            Assert.Equal(3, after.Views);
            Assert.Equal(before[id].FirstSeen, after.FirstSeen);
        }
    }

    [Fact]
    public async Task A_thousand_concurrent_visits_with_one_cookie_add_exactly_a_thousand_views()
    {
        var database = await postgres.CreateDatabaseAsync("concurrent");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), Guid.NewGuid());

        await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => visitor.VisitAsync(Guid.NewGuid())));

        var state = (await cluster.StoredStateAsync(id))!;
        Assert.Equal(1001, state.TotalViews);
        Assert.Equal(1001, await StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task An_id_that_was_never_minted_is_unknown_and_stores_nothing()
    {
        var database = await postgres.CreateDatabaseAsync("unknown");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var id = VisitorId.NewId();

        var result = await cluster.Client.GetGrain<IVisitorGrain>(id).VisitAsync(Guid.NewGuid());

        Assert.IsType<VisitOutcome.UnknownVisitor>(result);
        Assert.Null(await StoredViewsAsync(database, id));
    }

    [Fact]
    public async Task Changing_the_weights_moves_no_existing_visitor()
    {
        var database = await postgres.CreateDatabaseAsync("weights");
        var ids = Enumerable.Range(0, 200).Select(_ => VisitorId.NewId()).ToList();
        var colors = new Dictionary<string, BallColor>();
        await using (var cluster = await TestClusters.StartAsync(database, storage: storage))
        {
            foreach (var id in ids)
            {
                colors[id] = (await cluster.Client.FirstVisitAsync(id, Guid.NewGuid())).Color;
            }

            await cluster.StopAllSilosAsync();
        }

        Assert.Contains(BallColor.Red, colors.Values);
        var allBlue = new Dictionary<string, string?> { ["Ball:RedWeight"] = "0", ["Ball:BlueWeight"] = "100" };
        await using var reweighted = await TestClusters.StartAsync(database, settings: allBlue, storage: storage);
        foreach (var id in ids)
        {
            Assert.Equal(colors[id], (await reweighted.Client.GetGrain<IVisitorGrain>(id).CountAsync(Guid.NewGuid())).Color);
        }

        var newcomer = await reweighted.Client.FirstVisitAsync(VisitorId.NewId(), Guid.NewGuid());
        Assert.Equal(BallColor.Blue, newcomer.Color);
    }

    [Fact]
    public async Task A_visitor_changed_behind_the_grains_back_recovers_and_counts_on_top()
    {
        var database = await postgres.CreateDatabaseAsync("stale");
        await using var cluster = await TestClusters.StartAsync(database, storage: storage);
        var id = VisitorId.NewId();
        var visitor = cluster.Client.GetGrain<IVisitorGrain>(id);
        await cluster.Client.FirstVisitAsync(visitor.GetPrimaryKeyString(), Guid.NewGuid());

        // Another writer (a duplicate activation, an operator) bumps the row: the grain's ETag is now stale.
        await ExecuteAsync(database, """
            UPDATE ball_grain_state
            SET version = version + 1,
                payload = convert_to(('{"c":"red","r":41,"b":0,"f":"' || (convert_from(payload, 'UTF8')::jsonb->>'f')
                                      || '","l":"' || (convert_from(payload, 'UTF8')::jsonb->>'l') || '"}'), 'UTF8')
            WHERE grain_key = @id
            """, ("id", id));

        var view = (await visitor.CountAsync(Guid.NewGuid()));

        Assert.Equal(BallColor.Red, view.Color);
        Assert.Equal(42, view.Views);
        Assert.Equal(42, await StoredViewsAsync(database, id));
    }

    internal static async Task<long?> StoredViewsAsync(string database, string id)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (j->>'r')::bigint + (j->>'b')::bigint FROM (SELECT convert_from(payload, 'UTF8')::jsonb AS j " +
            "FROM ball_grain_state WHERE grain_key = @id AND state_name = 'visitor') s", connection);
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync() as long?;
    }

    internal static async Task ExecuteAsync(string database, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }
}
