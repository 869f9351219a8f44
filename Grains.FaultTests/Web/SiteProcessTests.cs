using System.Net;
using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Web;

/// <summary>The site as an operator starts and stops it: <c>dotnet Web.dll</c> from anywhere, then Ctrl-C.</summary>
// A real process started twice: about 20 s.
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class SiteProcessTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    // At most 9 lines from the site itself; `./ball run` adds its own (the private database, and
    // the migration it runs first as the schema owner).
    private const int MaxStartupLines = 9;

    [Fact]
    public async Task Started_from_another_folder_it_reads_its_own_settings_says_little_and_stops_on_ctrl_c_without_an_error()
    {
        var elsewhere = Directory.CreateTempSubdirectory("ball-elsewhere-").FullName;
        try
        {
            // Settings in the working directory that would make a very noisy site, were they read.
            await File.WriteAllTextAsync(Path.Combine(elsewhere, "appsettings.json"), """{"Logging":{"LogLevel":{"Default":"Trace"}}}""");
            var port = PostgresServer.FreePort();
            var environment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__Postgres"] = await postgres.CreateDatabaseAsync("site_process"),
                ["Orleans__ClusterId"] = $"process-{port}",
                ["Orleans__SiloPort"] = PostgresServer.FreePort().ToString(),
                ["Orleans__GatewayPort"] = PostgresServer.FreePort().ToString(),
            };
            await using var site = SiteProcess.Start(elsewhere, environment, "--urls", $"http://127.0.0.1:{port}");

            // The last start-up line says who may open the admin pages.
            await site.WaitForLineAsync("the admin pages", TimeSpan.FromSeconds(60));
            // The database was migrated by its owner (the fixture, as `migrate` would): the site,
            // logged in as the runtime role, migrates nothing and says nothing about migrations.
            var startup = site.Lines.ToList();
            Assert.True(startup.Count <= MaxStartupLines, $"{startup.Count} start-up lines:\n{site.Output()}");
            var dllFolder = Path.GetDirectoryName(SiteProcess.WebDll)!;
            Assert.Contains(startup, l => l.Contains($"Listening on http://127.0.0.1:{port}; settings from {dllFolder}", StringComparison.Ordinal));
            Assert.Contains(startup, l => l.Contains("Co-hosted silo of cluster", StringComparison.Ordinal));
            Assert.DoesNotContain(startup, l => l.Contains("applied now", StringComparison.Ordinal));

            // A few visits and the stats, so the grains and the report are active when the silo stops.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
            }

            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/stats")).StatusCode);
            using var css = await http.GetAsync("/site.css");
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
            Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);

            site.Interrupt();
            Assert.Equal(0, await site.WaitForExitAsync(TimeSpan.FromSeconds(40)));
            Assert.DoesNotContain(site.Lines, l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
            Assert.False(site.Lines.Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)), $"a stack trace:\n{site.Output()}");
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }
}
