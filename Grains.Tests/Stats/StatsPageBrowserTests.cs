using BallOrleans.Tests.Infrastructure;

namespace BallOrleans.Tests.Stats;

/// <summary>The /stats page in a real browser (Debian's chromium): it renders, obeys the CSP, and refreshes itself.</summary>
[Collection(PostgresCollection.Name)]
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class StatsPageBrowserTests(PostgresServer postgres)
{
    [Fact]
    public async Task Stats_page_shows_totals_chart_and_table_and_refreshes_without_a_reload()
    {
        await using var app = new BallWebApp(await postgres.CreateDatabaseAsync("browser"));
        app.StartServer();
        await StatsListingTests.SeedAsync(app, 2000);
        var visitor = app.CreateClient();
        for (var i = 0; i < 60; i++)
        {
            await app.CreateClient().GetAsync("/");
            await visitor.GetAsync("/");
        }

        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new()
        {
            HttpCredentials = new() { Username = "admin", Password = BallWebApp.Password },
            ViewportSize = new() { Width = 1100, Height = 1000 },
        });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add($"{message.Text} ({message.Location})");
            }
        };

        var response = await page.GotoAsync(new Uri(app.BaseAddress, "stats").ToString());
        Assert.Equal(200, response!.Status);
        var allVisitors = page.Locator("#totals tr.all td[data-visitors]");
        var before = long.Parse((await allVisitors.GetAttributeAsync("data-visitors"))!);
        Assert.True(before >= 2000, $"only {before} visitors shown");
        Assert.Equal(2, await page.Locator("svg.chart polyline.series").CountAsync());
        Assert.Equal(50, await page.Locator("#visitors tbody tr").CountAsync());
        var screenshot = HeadlessChromium.ScreenshotPath("stats-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot });
        Assert.True(new FileInfo(screenshot).Length > 10_000);

        // New visitors arrive; the page shows them on its own (polling), with no navigation.
        for (var i = 0; i < 5; i++)
        {
            await app.CreateClient().GetAsync("/");
        }

        await page.WaitForFunctionAsync(
            $"() => Number(document.querySelector('#totals tr.all td[data-visitors]').dataset.visitors) >= {before + 5}",
            null, new() { Timeout = 15_000 });
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
