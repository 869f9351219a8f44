using BallOrleans.Tests.Infrastructure;
using Microsoft.Playwright;

namespace BallOrleans.Tests.Web;

/// <summary>
/// A real browser (Debian's headless Chromium, driven by Playwright) against the real site: a
/// visit and its reload, a preview, forget-me, and the stats' range picker. It also takes the
/// docs' screenshots (see <see cref="HeadlessChromium.ScreenshotPath"/>).
/// </summary>
[Trait(TestSpeed.Trait, TestSpeed.Slow)]
public sealed class BrowserTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_browser_sees_a_ball_and_after_a_reload_the_same_color_one_view_higher()
    {
        await using var app = new BallWebApp(await postgres.CreateDatabaseAsync("browser"));
        app.StartServer();
        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new() { Width = 800, Height = 600 },
            UserAgent = HeadlessChromium.PersonUserAgent(browser),
        });
        var page = await context.NewPageAsync();

        await page.GotoAsync(app.BaseAddress.ToString());
        var ball = page.Locator("#ball");
        await Assertions.Expect(ball).ToBeVisibleAsync();
        var color = await ball.GetAttributeAsync("data-color");
        var views = long.Parse((await ball.GetAttributeAsync("data-views"))!);
        Assert.Contains(color, new[] { "red", "blue" });
        Assert.Equal(1, views);
        Assert.Contains($"You have seen the {color} ball 1 time.", await page.Locator("#caption").InnerTextAsync(), StringComparison.OrdinalIgnoreCase);

        await page.ReloadAsync();

        Assert.Equal(color, await ball.GetAttributeAsync("data-color"));
        Assert.Equal("2", await ball.GetAttributeAsync("data-views"));
        var cookies = await context.CookiesAsync();
        var visitor = Assert.Single(cookies, c => c.Name == "ball_visitor");
        Assert.True(visitor.HttpOnly);

        var file = HeadlessChromium.ScreenshotPath("ball-page.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file });
        Assert.True(new FileInfo(file).Length > 1000);
    }

    [Fact]
    public async Task A_browser_previews_the_other_ball_then_is_forgotten_and_comes_back_as_a_new_visitor()
    {
        var database = await postgres.CreateDatabaseAsync("browser_forget");
        await using var app = new BallWebApp(database);
        app.StartServer();
        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new() { Width = 800, Height = 600 },
            UserAgent = HeadlessChromium.PersonUserAgent(browser),
        });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => problems.Add($"{message.Type}: {message.Text}");
        var ball = page.Locator("#ball");

        await page.GotoAsync(app.BaseAddress.ToString());
        var color = await ball.GetAttributeAsync("data-color");
        var other = color == "red" ? "blue" : "red";
        var firstId = (await context.CookiesAsync()).Single(c => c.Name == "ball_visitor").Value;

        // Preview: the other ball, marked as such, counting nothing.
        await page.GotoAsync($"{app.BaseAddress}?preview={other}");
        Assert.Equal(other, await ball.GetAttributeAsync("data-color"));
        await Assertions.Expect(page.Locator("#preview")).ToBeVisibleAsync();
        await Screenshot(page, "preview-page.png");
        await page.GotoAsync(app.BaseAddress.ToString());
        Assert.Equal(color, await ball.GetAttributeAsync("data-color"));
        Assert.Equal("2", await ball.GetAttributeAsync("data-views"));

        // Forget me: the browser posts the form itself, with its own Origin and Sec-Fetch-Site.
        await page.Locator("#forget button").ClickAsync();
        await Assertions.Expect(page.Locator("#forgotten")).ToBeVisibleAsync();
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "ball_visitor");
        await Screenshot(page, "forgotten-page.png");
        await Privacy.StatsBooks.AssertNoTraceAsync(postgres.AsOwner(database), Pages.IdOf(firstId));

        await page.GotoAsync(app.BaseAddress.ToString());
        Assert.Equal("1", await ball.GetAttributeAsync("data-views"));
        Assert.NotEqual(firstId, (await context.CookiesAsync()).Single(c => c.Name == "ball_visitor").Value);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task The_stats_range_picker_shows_the_days_chosen_by_link_and_by_form()
    {
        var database = await postgres.CreateDatabaseAsync("browser_range");
        await using var app = new BallWebApp(database);
        app.StartServer();
        await SeedDaysAsync(database);
        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new() { Width = 1100, Height = 1000 },
            HttpCredentials = new() { Username = "admin", Password = BallWebApp.Password },
        });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => problems.Add($"{message.Type}: {message.Text}");
        var visitorsChart = page.Locator("#daily-visitors");

        await page.GotoAsync($"{app.BaseAddress}stats");
        Assert.Equal("30", await visitorsChart.GetAttributeAsync("data-days"));

        await page.Locator("#range-picker a", new() { HasText = "last 90 days" }).ClickAsync();
        await Assertions.Expect(visitorsChart).ToHaveAttributeAsync("data-days", "90");
        Assert.Contains("from=", page.Url);

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = today.AddDays(-44).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var to = today.AddDays(-5).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await page.Locator("#range-picker input[name=from]").FillAsync(from);
        await page.Locator("#range-picker input[name=to]").FillAsync(to);
        await page.Locator("#range-picker button").ClickAsync();
        await Assertions.Expect(visitorsChart).ToHaveAttributeAsync("data-days", "40");
        Assert.Contains($"Days {from} to {to} (UTC)", await page.Locator("#range-title").InnerTextAsync());
        await Assertions.Expect(page.Locator("#segments tbody tr")).Not.ToHaveCountAsync(0);
        // The spike day is cut off and labelled rather than flattening the others.
        await Assertions.Expect(page.Locator("#daily-views text.label.clipped")).Not.ToHaveCountAsync(0);

        var segments = await page.Locator("#segments").BoundingBoxAsync();
        var file = HeadlessChromium.ScreenshotPath("stats-range.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true, Clip = new() { X = 0, Y = 0, Width = 1100, Height = segments!.Y + segments.Height + 60 } });
        Assert.True(new FileInfo(file).Length > 10_000);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // Visitors over the last 60 days, a few a day, and one day with a burst of views.
    private static async Task SeedDaysAsync(string database)
    {
        var random = new Random(7);
        var now = DateTimeOffset.UtcNow;
        for (var day = 60; day >= 1; day--)
        {
            for (var i = random.Next(2, 7); i > 0; i--)
            {
                var first = now.AddDays(-day).AddMinutes(random.Next(-600, 600));
                var color = random.Next(2) == 0 ? Grains.Visitors.BallColor.Red : Grains.Visitors.BallColor.Blue;
                var browser = (Grains.Visitors.BrowserFamily)random.Next(0, 5);
                var views = day == 20 && i == 1 ? 400 : random.Next(1, 6);
                await Privacy.StatsBooks.WriteAsync(database, Grains.Visitors.VisitorId.NewId(),
                    Privacy.StatsBooks.State(color, views, first, first.AddMinutes(random.Next(0, 90)), browser));
            }
        }
    }

    private static async Task Screenshot(IPage page, string name)
    {
        var file = HeadlessChromium.ScreenshotPath(name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file });
        Assert.True(new FileInfo(file).Length > 1000);
    }
}
