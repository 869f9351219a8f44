using BallOrleans.Tests.Infrastructure;
using Microsoft.Playwright;

namespace BallOrleans.Tests.Web;

/// <summary>
/// A real browser (Debian's headless Chromium, driven by Playwright) against the real site; it
/// also takes the README's screenshot (see <see cref="HeadlessChromium.ScreenshotPath"/>).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BrowserTests(PostgresServer postgres)
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
}
