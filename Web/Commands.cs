using System.Diagnostics;
using System.Globalization;
using BallOrleans.Grains.Hosting;
using BallOrleans.Grains.Stats;
using BallOrleans.Web.Stats;
using BallOrleans.Grains.Storage;
using BallOrleans.Grains.Visitors;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using BallOrleans.Web.Cookies;

namespace BallOrleans.Web;

/// <summary>
/// Command-line verbs of the Web program: <c>migrate</c>, <c>seed --visitors N</c>,
/// <c>rebuild-read-model</c>, <c>cluster-check</c>, <c>rotate-cookie-key</c> (<c>dotnet run --project Web -- seed --visitors 1000000</c>).
/// All but <c>cluster-check</c> log in as the schema owner (<c>ConnectionStrings:PostgresOwner</c>).
/// </summary>
internal static class Commands
{
    private const string Known = "migrate, seed --visitors N [--seed S], rebuild-read-model, cluster-check, rotate-cookie-key";

    /// <summary>Runs <paramref name="command"/> with the settings <paramref name="builder"/> holds (bound by <see cref="Hosting.WebOptions"/>).</summary>
    public static async Task<int> RunAsync(string command, WebApplicationBuilder builder)
    {
        if (command == "cluster-check")
        {
            return await Operations.ClusterCheck.RunAsync(builder.Configuration);
        }

        if (command is not ("migrate" or "seed" or "rebuild-read-model" or "rotate-cookie-key"))
        {
            Console.Error.WriteLine($"ball: unknown command '{command}' (known: {Known})");
            return 2;
        }

        var configuration = builder.Configuration;
        var services = builder.Services;
        string owner;
        try
        {
            owner = PostgresConnection.ResolveOwner(configuration);
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine($"ball: {ex.Message}");
            return 2;
        }

        // The schema owner's login: these are the operator's commands, and `migrate` is the only
        // place DDL runs. Without ConnectionStrings:PostgresOwner, the site's own login.
        services.AddBallDatabase(configuration, owner);
        services.AddStatsStore();
        services.AddSingleton<ColorAssignment>();
        services.AddSingleton<SystemTextJsonGrainStorageSerializer>();
        services.AddSingleton<VisitorSeeder>();
        await using var app = builder.Build();
        var serviceId = app.Services.GetRequiredService<IOptions<BallClusterOptions>>().Value.ServiceId;
        if (command == "migrate")
        {
            await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync();
            Console.WriteLine("ball: schema is up to date");
            return 0;
        }

        // The others work on a schema `migrate` made, and make none themselves.
        await using (var connection = await app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().OpenConnectionAsync())
        {
            if (await SchemaCompatibility.ProblemAsync(connection, CancellationToken.None) is { } problem)
            {
                Console.Error.WriteLine($"ball: {problem}");
                return SchemaVersionException.ExitCode;
            }
        }

        switch (command)
        {
            case "rebuild-read-model":
                Console.Error.WriteLine("ball: rebuilding the read model from grain state (one transaction; readers wait for it)");
                var rows = await app.Services.GetRequiredService<ReadModelFromGrainState>().RebuildAsync(serviceId);
                Console.WriteLine($"ball: read model rebuilt from {rows:N0} visitors' grain state");
                return 0;
            case "rotate-cookie-key":
                var (id, signsFrom) = await CookieKeyRotation.AddKeyAsync(app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>());
                Console.WriteLine($"ball: cookie key {id} added; it signs from {signsFrom:u} on, and every older key still verifies");
                return 0;
            default:
                return await SeedAsync(app.Services.GetRequiredService<VisitorSeeder>(), serviceId, configuration);
        }
    }

    private static async Task<int> SeedAsync(VisitorSeeder seeder, string serviceId, IConfiguration configuration)
    {
        if (!int.TryParse(configuration["visitors"], NumberStyles.None, CultureInfo.InvariantCulture, out var visitors) || visitors is < 1 or > 100_000_000)
        {
            Console.Error.WriteLine("ball: seed needs --visitors N, a whole number from 1 to 100000000");
            return 2;
        }

        var seed = int.TryParse(configuration["seed"], CultureInfo.InvariantCulture, out var s) ? s : Environment.TickCount;
        var clock = Stopwatch.StartNew();
        await seeder.SeedAsync(serviceId, visitors, seed, new Progress<(string Phase, long Done, long Total)>(ProgressBar.Draw));
        Console.Error.WriteLine();
        Console.WriteLine($"ball: seeded {visitors:N0} visitors in {clock.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }
}
