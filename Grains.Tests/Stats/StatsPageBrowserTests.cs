using BallOrleans.Grains.Visitors;
using BallOrleans.Tests.Infrastructure;
using BallOrleans.Tests.Web;
using Microsoft.Playwright;

namespace BallOrleans.Tests.Stats;

/// <summary>The /stats page in a real browser (Debian's chromium): it renders, obeys the CSP, and refreshes itself.</summary>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class StatsPageBrowserTests(PostgresServer postgres) : IClassFixture<PostgresServer>
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

        await using var admin = await AdminBrowser.OpenAsync();
        var (page, problems) = (admin.Page, admin.Problems);

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

    [Fact]
    public async Task The_waterfall_and_both_split_checks_show_a_scripted_mix_of_visits_previews_bots_head_requests_and_erasures()
    {
        var database = await postgres.CreateDatabaseAsync("browser_waterfall");
        await using var app = WhoIsCounted.StartApp(database,
            ("NewVisitors:ExemptLoopback", "false"), ("NewVisitors:Burst", "3"), ("NewVisitors:PerAddressPerSecond", "1"));
        app.StartServer();  // applies the schema
        // An experiment that ran before: 3,000 visitors per arm, of whom 600 red asked to be forgotten.
        var red = Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId()).ToList();
        await ErasureLedgerTests.WriteTogetherAsync(database, (red, BallColor.Red), ([.. Enumerable.Range(0, 3000).Select(_ => VisitorId.NewId())], BallColor.Blue));
        Assert.Equal(600, await ErasureLedgerTests.EraseAsync(database, [.. red.Take(600)], "forget"));
        // Today: visits, returning visits, HEAD, a prefetch, bots, previews, an unknown id, the limit, erasures.
        var before = await AdminStats.HoldingAsync(WhoIsCounted.Admin(app), database, 5400, "/api/stats");
        var script = await WaterfallScript.RunAsync(app, database);
        await AdminStats.HoldingAsync(WhoIsCounted.Admin(app), database, 5400 + script.RemainingVisitors, "/api/stats",
            before.GetProperty("views").GetInt64() + script.RemainingViews);

        await using var admin = await AdminBrowser.OpenAsync();
        var (page, problems) = (admin.Page, admin.Problems);

        Assert.Equal(200, (await page.GotoAsync(new Uri(app.BaseAddress, "stats").ToString()))!.Status);
        Assert.Equal("srm flagged", await page.Locator("#srm").GetAttributeAsync("class"));
        Assert.Equal("srm ok", await page.Locator("#srm-assigned").GetAttributeAsync("class"));
        Assert.Contains("flagged", await page.Locator("#srm-sequential").GetAttributeAsync("class"));
        Assert.Contains("ok", await page.Locator("#srm-assigned-sequential").GetAttributeAsync("class"));
        // The split alert's family: every browser at 1/2 of 0.001, then the seven browser families.
        Assert.Equal(8, await page.Locator("#split-family tbody tr").CountAsync());
        Assert.Equal("0.0005", await page.Locator("#split-family tr[data-browser='all']").GetAttributeAsync("data-alpha"));
        Assert.Contains("flagged when p < 0.0005", await page.Locator("#srm-assigned").InnerTextAsync(), StringComparison.Ordinal);
        // shown, counted, six not-counted reasons, the in-memory residual, two memos, assigned, three
        // erasure reasons, remaining and the stored residual.
        Assert.Equal(17, await page.Locator("#waterfall tbody tr[data-stage]").CountAsync());
        async Task<long> Figure(string stage, string reason, string figure) =>
            long.Parse((await page.Locator($"#waterfall tr[data-stage='{stage}'][data-reason='{reason}']").GetAttributeAsync($"data-red{figure}"))!)
            + long.Parse((await page.Locator($"#waterfall tr[data-stage='{stage}'][data-reason='{reason}']").GetAttributeAsync($"data-blue{figure}"))!);
        Task<long> Requests(string stage, string reason) => Figure(stage, reason, "");
        Assert.Equal(script.Shown, await Requests("shown", ""));
        Assert.Equal(3, await Requests("notCounted", "headOrPrefetch"));
        Assert.Equal(2, await Requests("notCounted", "bot"));
        Assert.Equal(2, await Requests("notCounted", "preview"));
        Assert.Equal(script.Limited, await Requests("notCounted", "newVisitorLimit"));
        Assert.Equal(1, await Requests("reassigned", "unknownId"));
        Assert.Equal(0, await Requests("reassigned", "forgedId"));
        Assert.Equal(0, await Requests("residual", "inMemory"));
        Assert.Equal((0, 0), (await Requests("residual", "stored"), await Figure("residual", "stored", "-visitors")));
        Assert.Equal(2, await page.Locator("#waterfall tr.residual.ok").CountAsync());
        Assert.Equal(26, await page.Locator("#waterfall-chart rect").CountAsync()); // two bars (red, blue) for each of 13 stages drawn
        Assert.True(await page.Locator("#waterfall-days tbody tr").CountAsync() >= 30);
        Assert.Equal("open", await page.Locator("#waterfall-days tbody tr").First.Locator("td").Last.InnerTextAsync());

        // The screenshot: from the totals' erasures line to the end of the waterfall's days.
        var top = (await page.Locator("#erased").BoundingBoxAsync())!;
        var bottom = (await page.Locator("#waterfall-chart").BoundingBoxAsync())!;
        var screenshot = HeadlessChromium.ScreenshotPath("stats-waterfall.png");
        await page.ScreenshotAsync(new()
        {
            Path = screenshot,
            FullPage = true,
            Clip = new() { X = 0, Y = top.Y - 8, Width = 1100, Height = bottom.Y + bottom.Height - top.Y + 16 },
        });
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Headless Chromium as the admin, 1100 px wide, collecting the page's console errors.</summary>
    private sealed class AdminBrowser(IPlaywright playwright, IBrowser browser, IPage page) : IAsyncDisposable
    {
        public IPage Page { get; } = page;

        public List<string> Problems { get; } = [];

        public static async Task<AdminBrowser> OpenAsync()
        {
            var (playwright, browser) = await HeadlessChromium.LaunchAsync();
            var context = await browser.NewContextAsync(new()
            {
                HttpCredentials = new() { Username = "admin", Password = BallWebApp.Password },
                ViewportSize = new() { Width = 1100, Height = 1000 },
            });
            var admin = new AdminBrowser(playwright, browser, await context.NewPageAsync());
            admin.Page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    admin.Problems.Add($"{message.Text} ({message.Location})");
                }
            };
            return admin;
        }

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
