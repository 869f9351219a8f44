using BallOrleans.Tests.Infrastructure;
using Microsoft.Playwright;

namespace BallOrleans.Tests.Web;

/// <summary>
/// A real browser (Debian's headless Chromium, driven by Playwright) against the real site. The
/// screenshot goes to <c>$BALL_SCREENSHOT_DIR</c> (the README's is made with
/// <c>BALL_SCREENSHOT_DIR=docs</c>), else next to the test results.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class BrowserTests(PostgresServer postgres)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task A_browser_sees_a_ball_and_after_a_reload_the_same_color_one_view_higher()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium package (.ci/run does)");
        await using var app = new BallWebApp(await postgres.CreateDatabaseAsync("browser"));
        app.StartServer();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // As root Chromium needs --no-sandbox; the rest keep it off a network it cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 800, Height = 600 } });
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

        var directory = Environment.GetEnvironmentVariable("BALL_SCREENSHOT_DIR") is { Length: > 0 } dir
            ? Path.Combine(PostgresServer.RepositoryRoot(), dir)
            : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "ball-page.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file });
        Assert.True(new FileInfo(file).Length > 1000);
    }
}
