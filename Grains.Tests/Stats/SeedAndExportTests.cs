using System.Text.Json;
using BallOrleans.Grains.Stats;
using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Web.Stats;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using BallOrleans.Tests.Visitors;

namespace BallOrleans.Tests.Stats;

public sealed class SeedAndExportTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const string ReadModelSql =
        "SELECT string_agg(concat_ws(',', encode(pid, 'hex'), color, red_views, blue_views, first_seen, last_seen), ';' ORDER BY pid) FROM ball_visitor_stats";

    [Fact]
    public async Task Seeded_visitors_are_stored_as_their_grains_would_store_them()
    {
        var database = await postgres.CreateDatabaseAsync("seed");
        await using var cluster = await TestClusters.StartAsync(database);
        var seeder = ActivatorUtilities.CreateInstance<VisitorSeeder>(cluster.GetSiloServiceProvider(cluster.Silos[0].SiloAddress));

        await seeder.SeedAsync(TestClusters.ServiceId, 500, seed: 9);

        var stored = await StoredVisitors.SumAsync(database);
        Assert.Equal(500, stored.RedVisitors + stored.BlueVisitors);
        Assert.True(stored.RedVisitors > 150 && stored.BlueVisitors > 150, $"a lopsided seed: {stored}");
        var report = cluster.Client.GetGrain<IReportGrain>(0);
        await report.RefreshAsync();
        Assert.True(stored.Matches(await report.GetStatsAsync()));

        // The grains read the seeded rows as their own, and keep counting on them.
        foreach (var (id, payload) in await SampleAsync(database, 20))
        {
            var grain = cluster.Client.GetGrain<IVisitorGrain>(id);
            var state = (await cluster.StoredStateAsync(id))!;
            Assert.Equal(payload.GetProperty("c").GetString(), state.Color.Name());
            Assert.Equal(payload.GetProperty("r").GetInt64() + payload.GetProperty("b").GetInt64(), state.TotalViews);
            Assert.Equal(payload.GetProperty("f").GetDateTimeOffset(), state.FirstSeen);
            var view = await grain.CountAsync(Guid.NewGuid());
            Assert.Equal(state.TotalViews + 1, view.Views);
        }
    }

    [Fact]
    public async Task Rebuilding_the_read_model_gives_the_same_rows_and_totals()
    {
        var database = await postgres.CreateDatabaseAsync("rebuild");
        await using var cluster = await TestClusters.StartAsync(database);
        var services = cluster.GetSiloServiceProvider(cluster.Silos[0].SiloAddress);
        await ActivatorUtilities.CreateInstance<VisitorSeeder>(services).SeedAsync(TestClusters.ServiceId, 300, seed: 10);
        await StoredVisitors.LoadAsync(cluster.Client, visitors: 50, seed: 11);
        var report = cluster.Client.GetGrain<IReportGrain>(0);
        await report.RefreshAsync();
        var rowsBefore = await StoredVisitors.ScalarTextAsync(database, ReadModelSql);
        var totalsBefore = await report.GetStatsAsync();

        // As the rebuild-read-model command does: as the schema's owner.
        await using var owner = NpgsqlDataSource.Create(postgres.AsOwner(database));
        var replayed = await new ReadModelFromGrainState(owner).RebuildAsync(TestClusters.ServiceId);
        await report.RefreshAsync();

        Assert.Equal(350, replayed);
        Assert.Equal(rowsBefore, await StoredVisitors.ScalarTextAsync(database, ReadModelSql));
        Assert.Equal(totalsBefore.Colors, (await report.GetStatsAsync()).Colors);
    }

    [Fact]
    [Trait(TestSpeed.Trait, TestSpeed.Slow)] // seeds 100,000 visitors: 5-15 s
    public async Task Csv_of_100000_visitors_streams_every_row_while_it_is_being_read()
    {
        var database = await postgres.CreateDatabaseAsync("csv");
        await using var app = new BallWebApp(database);
        await StatsListingTests.SeedAsync(app, 100_000);
        var admin = app.AdminClient();

        using var response = await admin.GetAsync("/api/visitors.csv", HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode);
        Assert.Null(response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body);
        Assert.Equal(VisitorCsv.Header, await reader.ReadLineAsync());
        Assert.NotNull(await reader.ReadLineAsync());

        // A visitor stored after the export began, sorted last: a response built in memory
        // before sending could not contain it; a streamed one, reading page by page, does.
        await StoredVisitors.QueryAsync(database,
            """
            SELECT ball_grain_state_write('late-service', 'visitor', 'late-visitor', 0, 0, convert_to(json_build_object(
                'c', 'red', 'r', 1, 'b', 0, 'f', now() + interval '1 day', 'l', now() + interval '1 day')::text, 'UTF8'), NULL)
            """);

        var ids = new HashSet<string>();
        string? line, last = null;
        var rows = 1;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            rows++;
            ids.Add(line[..line.IndexOf(',')]);
            last = line;
        }

        Assert.Equal(100_001, rows);
        Assert.Equal(100_000, ids.Count);
        var latePid = await StoredVisitors.ScalarTextAsync(database,
            "SELECT encode(ball_visitor_pid(inner_pad, outer_pad, 'late-visitor'), 'hex') FROM ball_stats_key");
        Assert.StartsWith($"{latePid},red,1,0,1,", last);
    }

    private static async Task<List<(string Id, JsonElement Payload)>> SampleAsync(string database, int count)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT grain_key, convert_from(payload, 'UTF8') FROM ball_grain_state WHERE state_name = 'visitor' ORDER BY grain_key LIMIT $1", connection);
        command.Parameters.Add(new() { Value = count });
        await using var reader = await command.ExecuteReaderAsync();
        var sample = new List<(string, JsonElement)>();
        while (await reader.ReadAsync())
        {
            sample.Add((reader.GetString(0), JsonDocument.Parse(reader.GetString(1)).RootElement.Clone()));
        }

        return sample;
    }
}
